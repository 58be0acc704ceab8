"""Build ``acme.db``, the Acme Corp sales database, deterministically.

    python -m examples.acme.generate_db [--out examples/acme/acme.db]

The same seed gives the same rows on every machine, so the committed file, the
tests and the labelled questions never drift apart (``rows_digest`` checks it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import sqlite3
from pathlib import Path

__all__ = ["SCHEMA", "build", "rows_digest"]

SEED = 42
N_CUSTOMERS = 240
N_ORDERS = 12_000
FIRST_DAY = dt.date(2023, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
DEFAULT_OUT = Path(__file__).with_name("acme.db")

# Column comments live in the DDL: SQLite keeps it verbatim in sqlite_master.
SCHEMA = """
CREATE TABLE regions (              -- Sales regions Acme sells into
    region_id   INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE, -- e.g. 'EMEA', 'Japan'
    country     TEXT NOT NULL         -- headquarters country of the region
);
CREATE TABLE employees (            -- Acme staff: sales reps, account managers, support
    employee_id INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,        -- job title
    region_id   INTEGER NOT NULL REFERENCES regions(region_id),
    manager_id  INTEGER REFERENCES employees(employee_id), -- NULL for the head of sales
    hired_on    TEXT NOT NULL         -- ISO date
);
CREATE TABLE customers (            -- Companies that buy from Acme
    customer_id        INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    industry           TEXT NOT NULL,
    region_id          INTEGER NOT NULL REFERENCES regions(region_id),
    account_manager_id INTEGER NOT NULL REFERENCES employees(employee_id),
    email              TEXT NOT NULL,  -- billing contact
    created_on         TEXT NOT NULL   -- ISO date the account was opened
);
CREATE TABLE products (             -- What Acme sells
    product_id  INTEGER PRIMARY KEY,
    sku         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    category    TEXT NOT NULL,        -- 'Sensors', 'Gateways', 'Software', 'Services'
    unit_price  REAL NOT NULL         -- list price in USD
);
CREATE TABLE orders (               -- One customer order
    order_id    INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(customer_id),
    employee_id INTEGER NOT NULL REFERENCES employees(employee_id), -- the sales rep
    order_date  TEXT NOT NULL,        -- ISO date
    status      TEXT NOT NULL         -- 'shipped', 'pending', 'cancelled'
);
CREATE TABLE order_items (          -- Lines of an order
    order_item_id INTEGER PRIMARY KEY,
    order_id      INTEGER NOT NULL REFERENCES orders(order_id),
    product_id    INTEGER NOT NULL REFERENCES products(product_id),
    quantity      INTEGER NOT NULL,
    unit_price    REAL NOT NULL       -- price charged in USD, after discount
);
CREATE TABLE invoices (             -- One invoice per order that was not cancelled
    invoice_id  INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL UNIQUE REFERENCES orders(order_id),
    issued_on   TEXT NOT NULL,        -- ISO date
    due_on      TEXT NOT NULL,        -- ISO date, 30 days after issue
    amount      REAL NOT NULL,        -- total in USD
    paid_on     TEXT,                 -- NULL while unpaid
    status      TEXT NOT NULL         -- 'paid', 'open', 'overdue'
);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_date ON orders(order_date);
CREATE INDEX items_order ON order_items(order_id);
"""

REGIONS = [
    (1, "North America", "United States"),
    (2, "EMEA", "United Kingdom"),
    (3, "DACH", "Germany"),
    (4, "Nordics", "Sweden"),
    (5, "Japan", "Japan"),
    (6, "APAC", "Australia"),
]

FIRST = ["Alice", "Bruno", "Chen", "Dana", "Emil", "Fatima", "Goro", "Hanna", "Ivan", "Julia",
         "Kenji", "Lena", "Marco", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tomoko",
         "Umar", "Vera", "Wei", "Yuki"]
LAST = ["Andersen", "Becker", "Costa", "Dubois", "Eriksson", "Fischer", "Garcia", "Hayashi",
        "Ito", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Patel",
        "Rossi", "Sato", "Tanaka", "Weber"]
TITLES = ["Account Manager", "Sales Representative", "Sales Engineer", "Support Engineer"]

PREFIX = ["Blue", "North", "Silver", "Bright", "Granite", "Harbor", "Iron", "Maple", "Nova",
          "Orbit", "Pine", "Quartz", "River", "Summit", "Tidal", "Vertex", "Willow", "Zenith",
          "Cedar", "Delta"]
SUFFIX = ["Logistics", "Foods", "Energy", "Health", "Robotics", "Textiles", "Farms", "Motors",
          "Pharma", "Retail", "Systems", "Water"]
INDUSTRY = {"Logistics": "Logistics", "Foods": "Food & Beverage", "Energy": "Energy",
            "Health": "Healthcare", "Robotics": "Manufacturing", "Textiles": "Manufacturing",
            "Farms": "Agriculture", "Motors": "Automotive", "Pharma": "Healthcare",
            "Retail": "Retail", "Systems": "Technology", "Water": "Utilities"}
FORMS = ["Inc", "GmbH", "Ltd", "AB", "KK", "Pty"]

PRODUCTS = [
    ("Sensors", "TempSense T1", 49.0), ("Sensors", "TempSense T2 Pro", 89.0),
    ("Sensors", "HumidiPro H1", 59.0), ("Sensors", "VibraCheck V3", 149.0),
    ("Sensors", "FlowMeter F2", 229.0), ("Sensors", "AirQ A1", 119.0),
    ("Sensors", "PressureLine P4", 179.0), ("Sensors", "LevelWatch L2", 99.0),
    ("Gateways", "EdgeHub E1", 399.0), ("Gateways", "EdgeHub E2 Rugged", 649.0),
    ("Gateways", "MeshLink M1", 259.0), ("Gateways", "CellBridge C5", 549.0),
    ("Software", "Acme Insight (annual)", 1200.0), ("Software", "Acme Insight Enterprise (annual)", 4800.0),
    ("Software", "Alert Engine add-on", 600.0), ("Software", "Fleet Manager", 2400.0),
    ("Services", "On-site installation (day)", 950.0), ("Services", "Calibration service", 180.0),
    ("Services", "Premium support (annual)", 1500.0), ("Services", "Training workshop", 2200.0),
]


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def build(out: Path = DEFAULT_OUT, seed: int = SEED) -> Path:
    """Write a fresh database to ``out`` and return its path."""
    rng = random.Random(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO regions VALUES (?, ?, ?)", REGIONS)

    employees = []
    used_names: set[str] = set()
    for employee_id in range(1, 41):
        while (name := f"{rng.choice(FIRST)} {rng.choice(LAST)}") in used_names:
            pass
        used_names.add(name)
        region_id = 1 if employee_id == 1 else REGIONS[(employee_id - 2) % len(REGIONS)][0]
        title = "Head of Sales" if employee_id == 1 else TITLES[employee_id % len(TITLES)]
        manager = None if employee_id == 1 else 1
        email = name.lower().replace(" ", ".") + "@acme.example"
        hired = _day(rng, dt.date(2015, 1, 1), dt.date(2022, 12, 31)).isoformat()
        employees.append((employee_id, name, email, title, region_id, manager, hired))
    db.executemany("INSERT INTO employees VALUES (?, ?, ?, ?, ?, ?, ?)", employees)
    managers_by_region: dict[int, list[int]] = {}
    for e in employees:
        if e[3] == "Account Manager":
            managers_by_region.setdefault(e[4], []).append(e[0])
    reps = [e[0] for e in employees if e[3] in ("Sales Representative", "Account Manager")]

    customers = []
    used_names.clear()
    for customer_id in range(1, N_CUSTOMERS + 1):
        while True:
            prefix, suffix = rng.choice(PREFIX), rng.choice(SUFFIX)
            name = f"{prefix} {suffix} {rng.choice(FORMS)}"
            if name not in used_names:
                break
        used_names.add(name)
        region_id = rng.choice(REGIONS)[0]
        manager = rng.choice(managers_by_region.get(region_id) or [1])
        email = f"billing@{prefix.lower()}{suffix.lower()}.example"
        created = _day(rng, dt.date(2019, 1, 1), dt.date(2023, 6, 30)).isoformat()
        customers.append((customer_id, name, INDUSTRY[suffix], region_id, manager, email, created))
    db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)", customers)

    products = [
        (i, f"ACM-{category[:3].upper()}-{i:03d}", name, category, price)
        for i, (category, name, price) in enumerate(PRODUCTS, start=1)
    ]
    db.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?)", products)

    # Larger customers order more often: a skewed pick makes "top customers" questions real.
    weights = [1.0 / (1 + (i % 60)) ** 0.7 for i in range(N_CUSTOMERS)]
    orders, items, invoices = [], [], []
    item_id = 0
    for order_id in range(1, N_ORDERS + 1):
        customer = rng.choices(customers, weights=weights)[0]
        day = _day(rng, FIRST_DAY, LAST_DAY)
        status = rng.choices(["shipped", "pending", "cancelled"], weights=[90, 4, 6])[0]
        if day < LAST_DAY - dt.timedelta(days=45) and status == "pending":
            status = "shipped"
        orders.append((order_id, customer[0], rng.choice(reps), day.isoformat(), status))
        total = 0.0
        for product in rng.sample(products, rng.randint(1, 4)):
            quantity = rng.randint(1, 50) if product[3] in ("Sensors", "Gateways") else rng.randint(1, 3)
            price = round(product[4] * rng.choice([1.0, 1.0, 0.95, 0.9]), 2)
            item_id += 1
            items.append((item_id, order_id, product[0], quantity, price))
            total += quantity * price
        if status != "cancelled":
            issued = day + dt.timedelta(days=rng.randint(0, 3))
            due = issued + dt.timedelta(days=30)
            paid = issued + dt.timedelta(days=rng.randint(5, 60))
            if paid > LAST_DAY:
                paid_on, inv_status = None, ("overdue" if due < LAST_DAY else "open")
            else:
                paid_on, inv_status = paid.isoformat(), "paid"
            invoices.append((order_id, order_id, issued.isoformat(), due.isoformat(),
                             round(total, 2), paid_on, inv_status))
    db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", orders)
    db.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?, ?)", items)
    db.executemany("INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, ?)", invoices)
    db.commit()
    db.execute("VACUUM")
    db.close()
    tmp.replace(out)
    return out


def rows_digest(path: Path) -> str:
    """A sha256 over every table's rows in key order: equal data gives an equal digest."""
    digest = hashlib.sha256()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for table in tables:
            digest.update(table.encode())
            # The names come from sqlite_master of our own file, never from a caller.
            for row in db.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                digest.update(repr(row).encode())
    finally:
        db.close()
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    path = build(args.out)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB), digest {rows_digest(path)[:12]}")


if __name__ == "__main__":
    main()
