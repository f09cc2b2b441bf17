"""The stored layout choice is read and written in one place."""

from __future__ import annotations

from server.domain.layout_choice import LayoutChoice, custom_layout, read_layout_choice, template_marker


def test_nothing_stored_is_auto_with_the_store_kind() -> None:
    assert read_layout_choice(None, "street_district") == LayoutChoice("auto", "street_district")
    assert read_layout_choice("", "street_district") == LayoutChoice("auto", "street_district")


def test_a_template_marker_round_trips() -> None:
    assert read_layout_choice(template_marker("traditional_market"), "department_store") == LayoutChoice(
        "template", "traditional_market")


def test_a_custom_layout_round_trips_even_with_a_template_field() -> None:
    doc = {"template": "street_district", "name": "골목", "fixtures": []}
    assert read_layout_choice(custom_layout(doc), "department_store") == LayoutChoice("custom", None, doc)
