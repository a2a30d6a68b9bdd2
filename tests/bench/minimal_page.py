"""The reference for the page benchmark: the least a page can be in this stack.

One route, one Jinja2 template, SQLModel reading the 20 newest of the insights by the primary key
index from the same database the portal serves. Served as the portal is (app/core/serving.py).
Run: MINIMAL_DATABASE_URL=sqlite:///... python -c "from app.core.serving import serve;
  serve('tests.bench.minimal_page:app', host='127.0.0.1', port=8001, workers=2)"
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

PAGE = Environment(autoescape=True).from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Latest</title></head>
<body><main><h1>Latest insights</h1><ul>
{% for row in rows %}<li><a href="/insights/{{ row.id }}">{{ row.title }}</a> ({{ row.kind }})</li>
{% endfor %}</ul></main></body></html>"""
)


class Row(SQLModel, table=True):
    __tablename__ = "insight"

    id: int | None = Field(default=None, primary_key=True)
    title: str
    kind: str


engine = create_engine(os.environ.get("MINIMAL_DATABASE_URL", "sqlite://"))
app = FastAPI()


@app.get("/", response_class=HTMLResponse)
def latest() -> str:
    with Session(engine) as session:
        rows = session.exec(select(Row).order_by(col(Row.id).desc()).limit(20)).all()
        return PAGE.render(rows=rows)
