"""Every catalog import and validation message, once: a stable code → Korean and English templates.

Importers record a code and its parameters, never a sentence. The English text (``message``, what the API and
the CLI always said) and the Korean text (``message_ko``) are both rendered from this table, so the merchant
console can show the one for its language and a client can switch on the code. Templates use ``str.format``
fields; ``{what}`` names a field in English ("sale price") and is translated by ``WORDS_KO`` for Korean.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter

from storefront_builder.errors import CatalogError

Params = Mapping[str, str | int]

# code: (Korean, English)
MESSAGES: dict[str, tuple[str, str]] = {
    # --- row problems: the row is refused -------------------------------------------------------------
    "sku_empty": ("SKU가 비어 있습니다", "empty SKU"),
    "sku_invalid": ("SKU에는 공백, 슬래시, 제어 문자를 쓸 수 없습니다(최대 64자)",
                    "SKU must not contain spaces, slashes or control characters"),
    "sku_not_text": ("SKU는 문자열이어야 합니다", "SKU must be a string"),
    "duplicate_sku": ("SKU {sku!r}가 중복됩니다({first}행에서 먼저 사용)",
                      "duplicate SKU {sku!r} (first used in row {first})"),
    "missing_name": ("상품명이 없습니다: 한국어나 영어 이름이 필요합니다",
                     "missing name: a product needs a Korean or an English name"),
    "price_missing": ("가격이 없습니다", "missing price"),
    "price_not_number": ("{what}이(가) 숫자가 아닙니다: {text!r}", "{what} is not a number: {text!r}"),
    "price_negative": ("{what}이(가) 음수입니다: {text!r}", "negative {what}: {text!r}"),
    "price_decimals": ("{what} {value}은(는) {currency}의 소수 자릿수({exponent})보다 깁니다",
                       "{what} {value} has more decimals than {currency} allows ({exponent})"),
    "price_too_large": ("{what} {value}은(는) 너무 큽니다", "{what} {value} is absurdly large"),
    "price_not_minor_units": ("최소 화폐 단위의 정수이거나 {{amount, currency}}여야 합니다",
                              "must be an integer amount in minor units or {{amount, currency}}"),
    "price_fraction": ("{value}은(는) {currency} 최소 단위의 정수가 아닙니다",
                       "{value} is not an integer amount in minor units of {currency}"),
    "price_format": ("가격 형식이 '금액 통화'가 아닙니다: {text!r}", "price is not 'amount CUR': {text!r}"),
    "sale_above_price": ("할인가가 가격보다 높습니다", "sale price is higher than the price"),
    "sale_currency": ("할인가의 통화가 가격의 통화와 다릅니다", "sale price currency differs from price currency"),
    "stock_not_number": ("재고가 숫자가 아닙니다: {text!r}", "stock is not a number: {text!r}"),
    "stock_not_whole": ("재고가 정수가 아닙니다: {text!r}", "stock is not a whole number: {text!r}"),
    "stock_negative": ("재고가 음수입니다: {text}", "negative stock: {text}"),
    "stock_absurd": ("재고 {text}은(는) 비현실적입니다({max:,}개 초과)", "absurd stock {text} (more than {max:,})"),
    "not_whole_number": ("{what}이(가) 정수가 아닙니다: {text!r}", "{what} is not a whole number: {text!r}"),
    "option_malformed": ("옵션 {part!r}이(가) 이름=값 형식이 아닙니다", "option {part!r} is not name=value"),
    "size_not_number": ("크기가 숫자가 아닙니다: {text!r}", "size is not a number: {text!r}"),
    "size_out_of_range": ("크기 {text}이(가) 0–10 m 범위를 벗어납니다", "size {text} is outside 0–10 m"),
    "dimensions_incomplete": ("치수는 가로, 높이, 깊이를 모두 적어야 합니다",
                              "dimensions need width, height and depth together"),
    "length_invalid": ("길이가 '숫자 단위' 형식이 아닙니다: {text!r}", "length is not 'number unit': {text!r}"),
    "length_unit": ("알 수 없는 길이 단위입니다: {text!r}", "unknown length unit in {text!r}"),
    "time_invalid": ("ISO 8601 시각이 아닙니다: {text!r}", "not an ISO 8601 time: {text!r}"),
    "time_needs_offset": ("할인 기간 시각에는 UTC 오프셋이 필요합니다", "sale window times need a UTC offset"),
    "time_out_of_range": ("할인 기간 시각이 UTC 기준 1–9999년을 벗어납니다",
                          "sale window time is outside the years 1 to 9999 in UTC"),
    "sale_window_order": ("할인 기간의 끝이 시작보다 앞섭니다", "sale window ends before it starts"),
    "effective_date_format": ("sale_price_effective_date가 '시작/끝' 형식이 아닙니다: {text!r}",
                              "sale_price_effective_date is not 'start/end': {text!r}"),
    "effective_date_time": ("sale_price_effective_date의 시각이 잘못되었습니다: {text!r}",
                            "sale_price_effective_date has a bad time: {text!r}"),
    "gtin_invalid": ("GTIN은 8–14자리 숫자여야 합니다: {text!r}", "gtin is not 8–14 digits: {text!r}"),
    "availability_unknown": ("알 수 없는 판매 가능 상태입니다: {text!r}", "unknown availability {text!r}"),
    "availability_missing": ("판매 가능 상태(availability)가 없습니다", "missing availability"),
    "status_unknown": ("알 수 없는 상태입니다: {text!r} (active, draft, archived, unpublished 중 하나)",
                       "unknown status {text!r} (one of active, draft, archived, unpublished)"),
    "handle_empty": ("Handle이 비어 있습니다", "empty Handle"),
    "not_an_object": ("상품은 JSON 객체여야 합니다", "a product must be a JSON object"),
    "field_unknown": ("알 수 없는 항목입니다: {field}", "unknown field {field}"),
    "field_missing": ("필수 항목이 없습니다: {field}", "missing field {field}"),
    "number_too_small": ("{field}은(는) {limit} 이상이어야 합니다", "{field} must be at least {limit}"),
    "number_too_large": ("{field}은(는) {limit} 이하여야 합니다", "{field} must be at most {limit}"),
    "not_a_number": ("{field}이(가) 숫자가 아닙니다", "{field} is not a number"),
    "text_too_long": ("{field}이(가) 너무 깁니다(최대 {max}자)", "{field} is too long (at most {max} characters)"),
    "wrong_type": ("{field}의 형식이 잘못되었습니다", "{field} has the wrong type"),
    "currency_mismatch": ("통화가 {currency}이지만 이 상점은 {store_currency}로 판매합니다",
                          "{currency} but the store sells in {store_currency}"),
    "value_invalid": ("값이 올바르지 않습니다: {detail}", "{detail}"),
    # --- notices: the row is imported but kept off the shelves -----------------------------------------
    "hidden_draft": ("임시저장: 판매하지 않음", "draft: not on sale"),
    "hidden_archived": ("보관됨: 더 이상 판매하지 않음", "archived: no longer sold"),
    "hidden_unpublished": ("미게시: 매장에 진열하지 않음", "unpublished: not on the shelves"),
    "hidden_gift_card": ("기프트 카드: 진열 상품이 아님", "gift card: not a shelf product"),
    # --- whole-file problems (CatalogError) ------------------------------------------------------------
    "format_unknown": ("알 수 없는 카탈로그 형식 {format!r}: {expected} 중 하나여야 합니다",
                       "unknown catalog format {format!r}; expected one of {expected}"),
    "file_empty": ("파일이 비어 있습니다", "the file is empty"),
    "decode_failed": ("파일을 읽을 수 없습니다: UTF-8도 CP949/EUC-KR도 아닙니다",
                      "cannot decode the file: it is neither UTF-8 nor CP949/EUC-KR text"),
    "decode_bom_utf8": ("UTF-8 BOM으로 시작하지만 UTF-8이 아닙니다({reason})",
                        "file starts with a UTF-8 BOM but is not UTF-8 ({reason})"),
    "decode_bom_utf16": ("UTF-16 BOM이 있지만 UTF-16이 아닙니다",
                         "file has a UTF-16 byte order mark but is not UTF-16"),
    "header_missing": ("파일에 머리글 행이 없습니다", "the file has no header row"),
    "header_unreadable": ("머리글을 읽을 수 없습니다: {detail}", "cannot read the header: {detail}"),
    "header_unrecognised": (
        "머리글로 카탈로그 형식을 알 수 없습니다: {header}. 필요한 열: {expected}. 비슷한 열: {closest}",
        "cannot tell the catalog format from the header: {header}. Expected columns: {expected}. "
        "Closest matches: {closest}"),
    "columns_missing": ("{format} 파일에 필요한 열이 없습니다: {columns}. 비슷한 열: {closest}",
                        "{format} is missing required column(s): {columns}. Closest matches: {closest}"),
    "csv_unparseable": ("{row}행: CSV를 해석할 수 없습니다({detail})", "row {row}: cannot parse CSV ({detail})"),
    "too_many_rows": ("행이 너무 많습니다: 카탈로그 파일 하나에 최대 {max:,}개 상품",
                      "too many rows: at most {max:,} products per catalog file"),
    "json_invalid": ("올바른 JSON이 아닙니다: {detail}", "not valid JSON: {detail}"),
    "json_products_missing": ('JSON 카탈로그 객체에는 "products" 목록이 필요합니다',
                              'a JSON catalog object needs a "products" list'),
    "json_currency_type": ('"currency"는 "KRW" 같은 문자열이어야 합니다', '"currency" must be a string such as "KRW"'),
    "json_shape": ("JSON 카탈로그는 products 목록을 가진 객체이거나 목록이어야 합니다",
                   "a JSON catalog is an object with a products list, or a list"),
}

# English field words used in ``{what}``, in Korean.
WORDS_KO: dict[str, str] = {
    "price": "가격", "sale price": "할인가", "compare-at price": "비교 가격", "regular price": "정가",
    "length": "길이", "number": "숫자", "rank": "순위", "stock": "재고",
}

# The column a model-level check is about (it has no location of its own).
FIELD_OF_CODE: dict[str, str] = {
    "missing_name": "name_ko", "sale_above_price": "sale_price", "sale_currency": "sale_price",
    "sale_window_order": "sale_starts_at",
}

NONE_SEEN = {"ko": "없음", "en": "none"}


def placeholders(template: str) -> set[str]:
    """The field names a template uses (``{what}`` → ``what``)."""
    return {name.split("!")[0].split(":")[0].split(".")[0]
            for _, name, _, _ in Formatter().parse(template) if name}


def render(code: str, params: Params, lang: str = "en") -> str:
    """The message of ``code`` in ``lang`` ("ko" or "en"); raises KeyError for an unknown code."""
    ko, en = MESSAGES[code]
    values = dict(params)
    if lang == "ko" and isinstance(values.get("what"), str):
        values["what"] = WORDS_KO.get(str(values["what"]), str(values["what"]))
    return (ko if lang == "ko" else en).format(**values)


class CodedError(ValueError):
    """A cell or field that cannot be read: raised by parsers, recorded as a row problem with its code."""

    def __init__(self, code: str, **params: str | int) -> None:
        self.code = code
        self.params: dict[str, str | int] = dict(params)
        super().__init__(render(code, self.params))


def catalog_error(code: str, **params: str | int) -> CatalogError:
    """The whole-file error of ``code``, with both languages."""
    return CatalogError(render(code, params), code=code, params=dict(params),
                        message_ko=render(code, params, "ko"))
