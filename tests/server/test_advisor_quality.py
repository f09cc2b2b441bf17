"""The advisor's quality bar (issue 21) on the labelled queries: precision@5 ≥ 0.8 and every card keeping every
labelled constraint (price, category, stock, sale, colour, size), on the demo festival's catalogs."""

from __future__ import annotations

from pathlib import Path

from advisor_quality import evaluate, load_queries
from factories import database_url, make_settings
from search_fixtures import seed_demo

from server.persistence.database import Database


async def test_precision_at_5_and_constraint_satisfaction(tmp_path: Path) -> None:
    assert len(load_queries()) >= 150
    async with database_url("sqlite", tmp_path) as url:
        await seed_demo(make_settings(tmp_path, url))
        database = Database.connect(url)
        try:
            report = await evaluate(database)
        finally:
            await database.close()
    print(f"\nadvisor quality: {report.queries} queries, precision@5 {report.precision_at_5:.3f}, "
          f"constraints kept {report.cards_ok}/{report.cards} ({report.constraint_satisfaction:.1%})")
    for failure in report.failures:
        print("  ", failure)
    assert report.constraint_satisfaction == 1.0
    assert report.precision_at_5 >= 0.8
