"""Build ``examples/tickets/tickets.db``, the ticketing service's data, from a fixed seed.

    python -m examples.tickets.generate

Customers and the support staff who take tickets are read from the sales
database (``examples/acme/acme.db``) so that both sources describe the same
company: customer 7 in the tickets API is customer 7 in the sales database.
Running it twice gives the same rows.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DB_PATH = HERE / "tickets.db"
ACME_DB = HERE.parent / "acme" / "acme.db"
SEED = 20240611
TICKETS = 420

SCHEMA = """
CREATE TABLE customers (          -- the same companies, with the same ids, as the sales database
    customer_id INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    industry    TEXT NOT NULL,
    email       TEXT NOT NULL,
    support_tier TEXT NOT NULL    -- standard | premium
);
CREATE TABLE tickets (
    id          INTEGER PRIMARY KEY,
    subject     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
    priority    TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    customer_id INTEGER NOT NULL REFERENCES customers(customer_id),
    assignee    TEXT,             -- a support engineer's name; NULL while unassigned
    product     TEXT,
    created_at  TEXT NOT NULL,    -- ISO 8601, UTC
    updated_at  TEXT NOT NULL
);
CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX tickets_customer ON tickets(customer_id);
CREATE INDEX tickets_status ON tickets(status);
CREATE INDEX comments_ticket ON comments(ticket_id);
"""

PROBLEMS = [
    ("{product} stopped reporting data", "high"),
    ("{product} shows readings that drift after a few hours", "normal"),
    ("{product} will not pair with the gateway", "high"),
    ("Firmware update failed on {product}", "urgent"),
    ("Question about calibrating {product}", "low"),
    ("{product} battery drains within days", "normal"),
    ("Dashboard shows gaps for {product}", "normal"),
    ("Need replacement unit for damaged {product}", "high"),
    ("Invoice for {product} lists the wrong quantity", "normal"),
    ("Request for training material on {product}", "low"),
    ("Alerts from {product} arrive twice", "normal"),
    ("{product} offline after network change", "urgent"),
]
REPLIES_CUSTOMER = [
    "This is affecting our production line, please advise.",
    "We restarted the device but the problem came back.",
    "Attached are the logs from this morning.",
    "Any update on this?",
    "Thanks, that worked for us.",
]
REPLIES_SUPPORT = [
    "Thanks for the report. Could you send the device serial number?",
    "We reproduced the issue in our lab and are working on a fix.",
    "Please update to firmware 4.2.1 and power-cycle the unit.",
    "A replacement has been shipped; tracking details follow by email.",
    "Closing this ticket as resolved. Reply to reopen it.",
]
STATUS_WEIGHTS = {"open": 30, "pending": 20, "resolved": 30, "closed": 20}


def _read_acme(acme_db: Path) -> tuple[list[tuple[int, str, str, str]], list[str], list[str]]:
    conn = sqlite3.connect(f"file:{acme_db}?mode=ro", uri=True)
    try:
        customers = conn.execute(
            "SELECT customer_id, name, industry, email FROM customers ORDER BY customer_id"
        ).fetchall()
        staff = [r[0] for r in conn.execute(
            "SELECT name FROM employees WHERE title = 'Support Engineer' ORDER BY employee_id"
        )]
        products = [r[0] for r in conn.execute(
            "SELECT name FROM products WHERE category IN ('Sensors', 'Gateways', 'Software') ORDER BY product_id"
        )]
    finally:
        conn.close()
    if not customers or not staff or not products:
        raise SystemExit(f"{acme_db} has no customers, support engineers or products; generate it first")
    return customers, staff, products


def generate(path: Path = DB_PATH, acme_db: Path = ACME_DB, seed: int = SEED) -> Path:
    """Write the tickets database to ``path`` (replacing it) and return the path."""
    rng = random.Random(seed)
    customers, staff, products = _read_acme(acme_db)
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.executescript(SCHEMA)
        conn.executemany(
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?)",
            [(cid, name, industry, email, "premium" if rng.random() < 0.25 else "standard")
             for cid, name, industry, email in customers],
        )
        start = datetime(2024, 1, 2, 8, 0, 0)
        comment_id = 0
        statuses, weights = zip(*STATUS_WEIGHTS.items())
        for ticket_id in range(1, TICKETS + 1):
            cid, cname, _, _ = rng.choice(customers)
            product = rng.choice(products)
            template, priority = rng.choice(PROBLEMS)
            if rng.random() < 0.2:
                priority = rng.choice(["low", "normal", "high", "urgent"])
            status = rng.choices(statuses, weights)[0]
            created = start + timedelta(minutes=ticket_id * 1_700 + rng.randrange(0, 600))
            assignee = None if status == "open" and rng.random() < 0.3 else rng.choice(staff)
            n_comments = rng.randrange(0, 5)
            when = created
            for k in range(n_comments):
                when += timedelta(minutes=rng.randrange(20, 2_000))
                from_support = assignee is not None and k % 2 == 1
                author = assignee if from_support else f"{cname} (customer)"
                body = rng.choice(REPLIES_SUPPORT if from_support else REPLIES_CUSTOMER)
                comment_id += 1
                conn.execute(
                    "INSERT INTO comments VALUES (?, ?, ?, ?, ?)",
                    (comment_id, ticket_id, author, body, when.isoformat() + "Z"),
                )
            updated = when + timedelta(minutes=rng.randrange(1, 300))
            conn.execute(
                "INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ticket_id, template.format(product=product), status, priority, cid, assignee,
                 product, created.isoformat() + "Z", updated.isoformat() + "Z"),
            )
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DB_PATH)
    parser.add_argument("--acme-db", type=Path, default=ACME_DB)
    args = parser.parse_args()
    print(generate(args.out, args.acme_db))


if __name__ == "__main__":
    main()
