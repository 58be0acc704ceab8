"""Acme's support desk: a small ticketing/CRM API over ``tickets.db``.

Every endpoint but ``/healthz`` needs ``Authorization: Bearer <token>``; the
token comes from ``TICKETS_TOKEN`` (the demo default is ``acme-demo-token``).
The database is copied into memory at start, so writes (new comments) last
until the server stops and the committed file never changes.
"""

# No ``from __future__ import annotations``: FastAPI reads the closures' annotations at run time.

import hmac
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

__all__ = ["DEFAULT_TOKEN", "create_app"]

DEFAULT_TOKEN = "acme-demo-token"
DB_PATH = Path(__file__).resolve().with_name("tickets.db")

Status = Literal["open", "pending", "resolved", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size.")]
Offset = Annotated[int, Query(ge=0, description="How many matching items to skip.")]


class Ticket(BaseModel):
    id: int
    subject: str
    status: Status
    priority: Priority
    customer_id: int
    assignee: str | None = Field(description="Support engineer handling the ticket; null while unassigned.")
    product: str | None
    created_at: str = Field(description="ISO 8601 timestamp, UTC.")
    updated_at: str = Field(description="ISO 8601 timestamp, UTC.")


class TicketPage(BaseModel):
    items: list[Ticket]
    total: int = Field(description="How many tickets match the filters, across all pages.")
    limit: int
    offset: int


class Comment(BaseModel):
    id: int
    ticket_id: int
    author: str
    body: str
    created_at: str


class CommentPage(BaseModel):
    items: list[Comment]
    total: int


class NewComment(BaseModel):
    author: str = Field(min_length=1, max_length=100, description="Who writes the comment.")
    body: str = Field(min_length=1, max_length=5_000, description="The comment text.")


class Customer(BaseModel):
    customer_id: int
    name: str
    industry: str
    email: str
    support_tier: Literal["standard", "premium"]


class CustomerPage(BaseModel):
    items: list[Customer]
    total: int
    limit: int
    offset: int


class Store:
    """The database, in memory, behind one lock (sqlite3 connections are not thread-safe)."""

    def __init__(self, path: Path) -> None:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        source.backup(self.conn)
        source.close()
        self.conn.row_factory = sqlite3.Row
        self.lock = threading.Lock()

    def all(self, sql: str, params: list[object]) -> list[dict[str, object]]:
        with self.lock:
            return [dict(r) for r in self.conn.execute(sql, params)]

    def one(self, sql: str, params: list[object]) -> dict[str, object] | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None


def create_app(db_path: Path = DB_PATH, token: str = DEFAULT_TOKEN) -> FastAPI:
    """The FastAPI app serving ``db_path``, guarded by bearer ``token``."""
    store = Store(db_path)
    bearer = HTTPBearer(auto_error=False, description="The support desk's API token.")
    expected = token.encode()

    def authorised(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        if creds is None or not hmac.compare_digest(creds.credentials.encode(), expected):
            raise HTTPException(401, "Missing or wrong bearer token.", headers={"WWW-Authenticate": "Bearer"})

    app = FastAPI(
        title="Acme Support Desk API",
        version="1.0.0",
        description="Support tickets, their comments, and the customers who raise them.",
        dependencies=[Depends(authorised)],
    )

    @app.get("/healthz", include_in_schema=False, dependencies=[])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/tickets", operation_id="listTickets", tags=["tickets"], summary="List tickets")
    def list_tickets(
        status: Annotated[Status | None, Query(description="Only tickets in this status.")] = None,
        priority: Annotated[Priority | None, Query(description="Only tickets with this priority.")] = None,
        customer_id: Annotated[int | None, Query(description="Only this customer's tickets.")] = None,
        assignee: Annotated[str | None, Query(description="Support engineer's full name.")] = None,
        q: Annotated[str | None, Query(max_length=200, description="Words to find in the subject.")] = None,
        created_after: Annotated[
            str | None, Query(description="ISO date or timestamp; only tickets created after it.")
        ] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> TicketPage:
        """Search tickets by status, priority, customer, assignee, subject words and creation date, newest first."""
        where, params = [], []
        for column, value in (("status", status), ("priority", priority),
                              ("customer_id", customer_id), ("assignee", assignee)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if q:
            where.append("subject LIKE ?")
            params.append(f"%{q}%")
        if created_after:
            where.append("created_at > ?")
            params.append(created_after)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        total = store.one(f"SELECT COUNT(*) AS n FROM tickets {clause}", params)["n"]  # type: ignore[index]
        rows = store.all(
            f"SELECT * FROM tickets {clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return TicketPage(items=[Ticket(**r) for r in rows], total=int(total), limit=limit, offset=offset)

    @app.get("/tickets/{ticket_id}", operation_id="getTicket", tags=["tickets"], summary="Get a ticket")
    def get_ticket(ticket_id: int) -> Ticket:
        """One ticket by its numeric id."""
        row = store.one("SELECT * FROM tickets WHERE id = ?", [ticket_id])
        if row is None:
            raise HTTPException(404, f"No ticket with id {ticket_id}.")
        return Ticket(**row)

    @app.get(
        "/tickets/{ticket_id}/comments", operation_id="listTicketComments", tags=["comments"],
        summary="List a ticket's comments",
    )
    def list_comments(ticket_id: int) -> CommentPage:
        """The conversation on one ticket, oldest first."""
        if store.one("SELECT id FROM tickets WHERE id = ?", [ticket_id]) is None:
            raise HTTPException(404, f"No ticket with id {ticket_id}.")
        rows = store.all("SELECT * FROM comments WHERE ticket_id = ? ORDER BY created_at, id", [ticket_id])
        return CommentPage(items=[Comment(**r) for r in rows], total=len(rows))

    @app.post(
        "/tickets/{ticket_id}/comments", operation_id="addTicketComment", tags=["comments"],
        summary="Add a comment to a ticket", status_code=201,
    )
    def add_comment(ticket_id: int, comment: NewComment) -> Comment:
        """Append a comment to a ticket's conversation. This writes data."""
        if store.one("SELECT id FROM tickets WHERE id = ?", [ticket_id]) is None:
            raise HTTPException(404, f"No ticket with id {ticket_id}.")
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        with store.lock:
            cur = store.conn.execute(
                "INSERT INTO comments (ticket_id, author, body, created_at) VALUES (?, ?, ?, ?)",
                (ticket_id, comment.author, comment.body, now),
            )
            store.conn.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (now, ticket_id))
            new_id = cur.lastrowid
        return Comment(id=int(new_id or 0), ticket_id=ticket_id, author=comment.author, body=comment.body,
                       created_at=now)

    @app.get("/customers", operation_id="listCustomers", tags=["customers"], summary="List customers")
    def list_customers(
        q: Annotated[str | None, Query(max_length=200, description="Words to find in the name.")] = None,
        industry: Annotated[str | None, Query(description="Exact industry, e.g. 'Agriculture'.")] = None,
        support_tier: Annotated[
            Literal["standard", "premium"] | None, Query(description="Only this support tier.")
        ] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> CustomerPage:
        """Customers (the same ids and names as the sales database), by name, industry or support tier."""
        where, params = [], []
        if q:
            where.append("name LIKE ?")
            params.append(f"%{q}%")
        for column, value in (("industry", industry), ("support_tier", support_tier)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        total = store.one(f"SELECT COUNT(*) AS n FROM customers {clause}", params)["n"]  # type: ignore[index]
        rows = store.all(
            f"SELECT * FROM customers {clause} ORDER BY customer_id LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        return CustomerPage(items=[Customer(**r) for r in rows], total=int(total), limit=limit, offset=offset)

    @app.get(
        "/customers/{customer_id}", operation_id="getCustomer", tags=["customers"], summary="Get a customer"
    )
    def get_customer(customer_id: int) -> Customer:
        """One customer by id."""
        row = store.one("SELECT * FROM customers WHERE customer_id = ?", [customer_id])
        if row is None:
            raise HTTPException(404, f"No customer with id {customer_id}.")
        return Customer(**row)

    return app
