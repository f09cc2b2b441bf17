// The one table of store kind names (Korean first), shown alike in the lobby, the store page and both consoles;
// registered by shared/kinds.js. Every kind the server accepts (server/contracts/foundation.py StoreKind) and the
// festival plaza has one: tests/server/test_client_strings.py checks that.

export default {
  'kind.department_store': { ko: '백화점', en: 'Department store' },
  'kind.traditional_market': { ko: '전통시장', en: 'Traditional market' },
  'kind.street_district': { ko: '골목 상권', en: 'Street district' },
  'kind.convenience_store': { ko: '편의점', en: 'Convenience store' },
  'kind.brand_shop': { ko: '브랜드숍', en: 'Brand shop' },
  'kind.festival_plaza': { ko: '축제 광장', en: 'Festival plaza' },
};
