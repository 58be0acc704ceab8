"""A small foreign MCP server (a ticket tracker) for the agent's tool-calling tests.

It is a real MCP server, not a stand-in for one of ours: the agent treats it as an
``[[mcp_servers]]`` source. Run it over stdio with ``python -m tests.agent.ticket_server``.
"""

from __future__ import annotations

from typing import Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

TICKETS = {
    7: {"id": 7, "title": "RoboVac X200 will not dock", "status": "open", "customer": "Cedar Farms Ltd"},
    8: {"id": 8, "title": "Invoice 1142 charged twice", "status": "closed", "customer": "Blue Fjord AS"},
    9: {"id": 9, "title": "Cannot log in to the portal", "status": "open", "customer": "Nimbus GmbH"},
}


class Ticket(BaseModel):
    id: int
    title: str
    status: str
    customer: str


class TicketList(BaseModel):
    tickets: list[Ticket]


def build_ticket_server() -> MCPServer:
    server = MCPServer("tickets", instructions="Support tickets.")

    @server.tool()
    def list_tickets(status: Literal["open", "closed"] | None = None) -> TicketList:
        """List support tickets, optionally only those with the given status."""
        return TicketList(tickets=[Ticket(**t) for t in TICKETS.values() if status in (None, t["status"])])

    @server.tool()
    def get_ticket(ticket_id: int) -> Ticket:
        """Get one support ticket by its numeric id."""
        if ticket_id not in TICKETS:
            raise ToolError(f"No ticket {ticket_id}; list_tickets shows the ids.")
        return Ticket(**TICKETS[ticket_id])

    return server


if __name__ == "__main__":
    build_ticket_server().run("stdio")
