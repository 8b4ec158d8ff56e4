import { signal } from './signal.js';

/**
 * Vietnamese and English. Keys are English phrases' short names; every string the
 * interface shows is here, so a missing translation is visible in review.
 */
const vi = {
  appName: 'Chốt — Trung tâm giám sát',
  login: 'Đăng nhập', logout: 'Đăng xuất', username: 'Tên đăng nhập', password: 'Mật khẩu', totp: 'Mã xác thực (6 số)',
  badCredentials: 'Sai tên đăng nhập hoặc mật khẩu', totpRequired: 'Nhập mã từ ứng dụng xác thực',
  queue: 'Hàng đợi cảnh báo', topology: 'Sơ đồ mạng', sensors: 'Cảm biến', search: 'Truy vấn', cases: 'Vụ việc', audit: 'Nhật ký kiểm toán', users: 'Người dùng',
  live: 'Trực tiếp', reconnecting: 'Đang kết nối lại…', catchingUp: 'Đang bắt kịp…', resynced: 'Đã đồng bộ lại từ kho dữ liệu',
  severity: 'Mức độ', status: 'Trạng thái', rule: 'Luật', source: 'Nguồn', node: 'Điểm', time: 'Thời gian', summary: 'Tóm tắt', assignee: 'Người xử lý', tags: 'Nhãn',
  groupBy: 'Nhóm theo', none: 'Không', all: 'Tất cả', count: 'Số lượng', total: 'Tổng',
  new: 'Mới', acknowledged: 'Đã tiếp nhận', escalated: 'Đã chuyển cấp', closed: 'Đã đóng',
  low: 'Thấp', medium: 'Trung bình', high: 'Cao', critical: 'Nghiêm trọng',
  acknowledge: 'Tiếp nhận', escalate: 'Chuyển cấp', close: 'Đóng', reopen: 'Mở lại', assignToMe: 'Nhận xử lý',
  verdict: 'Kết luận', reason: 'Lý do', true_positive: 'Đúng (tấn công thật)', false_positive: 'Sai (báo nhầm)', benign: 'Vô hại',
  selected: 'đã chọn', selectAll: 'Chọn tất cả', applyToGroup: 'Áp dụng cho cả nhóm', bulkDone: 'Đã cập nhật {n} cảnh báo',
  conflict: 'Cảnh báo vừa được {by} thay đổi. Trạng thái mới đã được hiển thị.',
  shortcuts: 'Phím tắt: j/k di chuyển · x chọn · a tiếp nhận · e chuyển cấp · c đóng · Enter mở · g nhóm',
  repeats: 'Lặp lại (gộp vào cảnh báo này)', ruleVersion: 'Phiên bản luật', whatMatched: 'Điều kiện khớp', field: 'Trường', op: 'Phép so sánh', expected: 'Ngưỡng', actual: 'Giá trị thực',
  window: 'Cửa sổ', evidence: 'Bằng chứng', pivot: 'Xem kết nối liên quan', place: 'Vị trí', history: 'Lịch sử', notes: 'Ghi chú', addNote: 'Thêm ghi chú', save: 'Lưu',
  caseTitle: 'Tiêu đề vụ việc', newCase: 'Vụ việc mới', existingCase: 'Vụ việc có sẵn', observables: 'Dấu hiệu', comments: 'Bình luận', alerts: 'Cảnh báo', open: 'Mở',
  openAlerts: 'Cảnh báo mở', health: 'Tình trạng', ok: 'Hoạt động', silent: 'Mất tín hiệu', disconnected: 'Mất kết nối', lastSeen: 'Lần cuối', certExpires: 'Chứng chỉ hết hạn', collector: 'Bộ thu',
  country: 'Toàn quốc', dataset: 'Dữ liệu', conn: 'Nhật ký kết nối', policy: 'Truy cập dữ liệu dân cư', from: 'Từ', to: 'Đến', addFilter: 'Thêm điều kiện', run: 'Tìm', more: 'Xem thêm',
  include: 'Chỉ lấy giá trị này', exclude: 'Loại trừ', only: 'Chỉ giá trị này', exportCsv: 'Xuất CSV', exportNdjson: 'Xuất NDJSON', rows: 'dòng', histogram: 'Biểu đồ theo thời gian',
  user: 'Người dùng', action: 'Hành động', outcome: 'Kết quả', roles: 'Vai trò', scope: 'Phạm vi', disabled: 'Đã khoá', enable: 'Mở khoá', disable: 'Khoá', addUser: 'Thêm người dùng', displayName: 'Tên hiển thị',
  rate: 'Số cảnh báo mỗi phút, 2 giờ qua', error: 'Lỗi', loading: 'Đang tải…', empty: 'Không có dữ liệu', language: 'English',
  account: 'Tài khoản', changePassword: 'Đổi mật khẩu', currentPassword: 'Mật khẩu hiện tại', newPassword: 'Mật khẩu mới', passwordChanged: 'Đã đổi mật khẩu; các phiên khác đã kết thúc',
  twoFactor: 'Xác thực hai lớp', totpOff: 'Tài khoản chưa có lớp xác thực thứ hai. Nhập mật khẩu để thêm một ứng dụng xác thực.', totpBegin: 'Thêm ứng dụng xác thực',
  totpScan: 'Quét mã bằng ứng dụng xác thực, rồi nhập mã 6 số nó hiện ra.', totpManual: 'Hoặc nhập khoá:', totpConfirm: 'Xác nhận', totpQr: 'Mã QR để thêm tài khoản vào ứng dụng xác thực',
  totpOn: 'Đăng nhập cần mã từ ứng dụng xác thực.', totpRemove: 'Gỡ xác thực hai lớp',
};

const en = {
  appName: 'Chốt — Security operations',
  login: 'Log in', logout: 'Log out', username: 'User name', password: 'Password', totp: 'Authenticator code (6 digits)',
  badCredentials: 'Wrong user name or password', totpRequired: 'Enter the code from your authenticator app',
  queue: 'Alert queue', topology: 'Topology', sensors: 'Sensors', search: 'Search', cases: 'Cases', audit: 'Audit trail', users: 'Users',
  live: 'Live', reconnecting: 'Reconnecting…', catchingUp: 'Catching up…', resynced: 'Re-synchronised from the data store',
  severity: 'Severity', status: 'Status', rule: 'Rule', source: 'Source', node: 'Node', time: 'Time', summary: 'Summary', assignee: 'Assignee', tags: 'Tags',
  groupBy: 'Group by', none: 'None', all: 'All', count: 'Count', total: 'Total',
  new: 'New', acknowledged: 'Acknowledged', escalated: 'Escalated', closed: 'Closed',
  low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical',
  acknowledge: 'Acknowledge', escalate: 'Escalate', close: 'Close', reopen: 'Reopen', assignToMe: 'Assign to me',
  verdict: 'Verdict', reason: 'Reason', true_positive: 'True positive', false_positive: 'False positive', benign: 'Benign',
  selected: 'selected', selectAll: 'Select all', applyToGroup: 'Apply to the whole group', bulkDone: 'Updated {n} alerts',
  conflict: '{by} changed this alert just now. The new state is shown.',
  shortcuts: 'Keys: j/k move · x select · a acknowledge · e escalate · c close · Enter open · g group',
  repeats: 'Repeats (folded into this alert)', ruleVersion: 'Rule version', whatMatched: 'What matched', field: 'Field', op: 'Operator', expected: 'Threshold', actual: 'Actual',
  window: 'Window', evidence: 'Evidence', pivot: 'Related connections', place: 'Place', history: 'History', notes: 'Notes', addNote: 'Add note', save: 'Save',
  caseTitle: 'Case title', newCase: 'New case', existingCase: 'Existing case', observables: 'Observables', comments: 'Comments', alerts: 'Alerts', open: 'Open',
  openAlerts: 'Open alerts', health: 'Health', ok: 'OK', silent: 'Silent', disconnected: 'Disconnected', lastSeen: 'Last seen', certExpires: 'Certificate expires', collector: 'Collector',
  country: 'Whole country', dataset: 'Data', conn: 'Connection logs', policy: 'Population-data access', from: 'From', to: 'To', addFilter: 'Add filter', run: 'Search', more: 'More',
  include: 'Include', exclude: 'Exclude', only: 'Only this', exportCsv: 'Export CSV', exportNdjson: 'Export NDJSON', rows: 'rows', histogram: 'Over time',
  user: 'User', action: 'Action', outcome: 'Outcome', roles: 'Roles', scope: 'Scope', disabled: 'Disabled', enable: 'Enable', disable: 'Disable', addUser: 'Add user', displayName: 'Display name',
  rate: 'Alerts per minute, last 2 hours', error: 'Error', loading: 'Loading…', empty: 'Nothing here', language: 'Tiếng Việt',
  account: 'Account', changePassword: 'Change password', currentPassword: 'Current password', newPassword: 'New password', passwordChanged: 'Password changed; your other sessions have ended',
  twoFactor: 'Two-factor authentication', totpOff: 'This account has no second factor. Enter your password to add an authenticator app.', totpBegin: 'Add an authenticator app',
  totpScan: 'Scan the code with your authenticator app, then enter the 6-digit code it shows.', totpManual: 'Or enter the key:', totpConfirm: 'Confirm', totpQr: 'QR code to add the account to an authenticator app',
  totpOn: 'Logging in takes a code from your authenticator app.', totpRemove: 'Remove two-factor authentication',
};

const dictionaries = { vi, en };
const stored = (() => {
  try {
    return localStorage.getItem('chot.lang');
  } catch {
    return null;
  }
})();
export const lang = signal(stored === 'en' ? 'en' : 'vi');

export function setLang(l) {
  lang.value = l;
  document.documentElement.lang = l;
  try {
    localStorage.setItem('chot.lang', l);
  } catch {
    /* private mode: the choice lasts for this page */
  }
}

/** The text of a key in the current language, with {name} placeholders filled (as text). */
export function t(key, vars) {
  const s = dictionaries[lang.value][key] ?? dictionaries.en[key] ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? '')) : s;
}
