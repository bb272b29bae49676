"""The reference receiver of issue 14: a WhatsApp webhook as a developer would write it without
Escala Inbox — pywa (the most used Python WhatsApp library) on FastAPI + uvicorn, storing each
message in SQLite. pywa checks the X-Hub-Signature-256 HMAC with the app secret and parses the
update; the handler inserts the message and commits before pywa answers 200.

Configuration (set by scripts/bench): BENCH_APP_SECRET, BENCH_PHONE_NUMBER_ID, BENCH_REF_DB.
Run: uvicorn app:app --app-dir scripts/bench-ref
"""

import os
import sqlite3

from fastapi import FastAPI
from pywa_async import WhatsApp, types

db = sqlite3.connect(os.environ["BENCH_REF_DB"], check_same_thread=False)
db.execute("PRAGMA journal_mode=WAL")
db.execute(
    "CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, sender TEXT, sent_at TEXT, body TEXT)"
)
db.commit()

app = FastAPI()
wa = WhatsApp(
    phone_id=os.environ["BENCH_PHONE_NUMBER_ID"],
    token="unused-no-sends",
    server=app,
    webhook_endpoint="/webhooks/meta",
    verify_token="bench-verify-token",
    app_secret=os.environ["BENCH_APP_SECRET"],
)


@app.get("/healthz")
async def healthz() -> str:
    return "ok"


@wa.on_message()
async def store_message(_: WhatsApp, msg: types.Message) -> None:
    sender = getattr(msg.from_user, "wa_id", None) or getattr(msg.from_user, "identifier", None)
    db.execute(
        "INSERT OR IGNORE INTO messages (id, sender, sent_at, body) VALUES (?, ?, ?, ?)",
        (msg.id, sender, msg.timestamp.isoformat(), msg.text),
    )
    db.commit()
