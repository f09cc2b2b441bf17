// Labels both consoles show the same way (ko, en); each console registers this table and then its own.

export default {
  signOut: { ko: '로그아웃', en: 'Sign out' },
  error: { ko: '오류', en: 'Error' },
  'signIn.title': { ko: '로그인', en: 'Sign in' },
  'signIn.go': { ko: '로그인', en: 'Sign in' },
  'signIn.badToken': { ko: '토큰이 올바르지 않거나 폐기되었습니다. 받은 토큰을 다시 확인해 주세요.', en: 'That token is wrong or was revoked. Check the token you were given.' },
  lang: { ko: '언어', en: 'Language' },
  'table.actions': { ko: '작업', en: 'Actions' },
  serverSays: { ko: '서버 메시지 (영어)', en: 'Server message' },
  'store.slug': { ko: '주소(slug)', en: 'Slug' },
  'store.name': { ko: '이름', en: 'Name' },
  'store.kind': { ko: '종류', en: 'Kind' },
  'store.status': { ko: '상태', en: 'Status' },
  'store.scene': { ko: '장면', en: 'Scene' },
  'status.pending': { ko: '승인 대기', en: 'Pending' },
  'status.approved': { ko: '승인됨', en: 'Approved' },
  'status.suspended': { ko: '정지됨', en: 'Suspended' },
  'status.queued': { ko: '대기 중', en: 'Queued' },
  'status.running': { ko: '빌드 중', en: 'Running' },
  'status.succeeded': { ko: '완료', en: 'Succeeded' },
  'status.failed': { ko: '실패', en: 'Failed' },
  // "Searches with no results" (consoles/misses.js)
  'misses.title': { ko: '찾지 못한 검색어 (최근 30일)', en: 'Searches with no results (last 30 days)' },
  'misses.query': { ko: '검색어', en: 'Search' },
  'misses.count': { ko: '횟수', en: 'Times' },
  'misses.none': { ko: '결과 없는 검색이 없습니다.', en: 'No searches came up empty.' },
};
