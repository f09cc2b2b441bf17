// Generated from server/live/protocol.py by `python -m server.live.protocol_js`: do not edit.
export const PROTOCOL_VERSION = 1;
export const MAX_CHAT_CHARS = 500;
export const EMOTES = Object.freeze(["wave", "clap", "heart", "laugh", "thumbs_up", "point", "bow", "cheer"]);
export const NOTICE_KINDS = Object.freeze(["scene_published", "festival_opening", "festival_closing", "store_suspended", "going_down", "degraded", "recovered", "live_degraded", "live_restored"]);
/** Application close code → name. */
export const CLOSE_NAMES = Object.freeze({"4000": "protocol_error", "4001": "unauthorized", "4002": "invalid_messages", "4003": "flooding", "4004": "store_full", "4005": "slow_consumer", "4006": "store_closed", "4007": "festival_full", "4008": "replaced", "4009": "hello_timeout", "4010": "heartbeat_timeout", "4011": "busy"});
/** Application close code by name, e.g. CLOSE.UNAUTHORIZED. */
export const CLOSE = Object.freeze({"PROTOCOL_ERROR": 4000, "UNAUTHORIZED": 4001, "INVALID_MESSAGES": 4002, "FLOODING": 4003, "STORE_FULL": 4004, "SLOW_CONSUMER": 4005, "STORE_CLOSED": 4006, "FESTIVAL_FULL": 4007, "REPLACED": 4008, "HELLO_TIMEOUT": 4009, "HEARTBEAT_TIMEOUT": 4010, "BUSY": 4011});
/** After these the client must not reconnect on its own: it tells the shopper instead. */
export const NO_AUTOMATIC_RETRY = new Set([4000, 4002, 4004, 4006, 4007, 4008]);
