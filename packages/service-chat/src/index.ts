export { CHAT_ERROR_CODES, ChatError } from './errors.js';
export type { ChatErrorCode } from './errors.js';
export { createTokenBucket } from './token-bucket.js';
export type { TokenBucket, TokenBucketOptions } from './token-bucket.js';
export { MAX_NAME_LENGTH, chatNameKey, isValidChatName } from './chat-name.js';
export {
  CHAT_HELP,
  DEFAULT_FLOOD_BURST,
  DEFAULT_FLOOD_RATE,
  DEFAULT_MAX_MEMBERS,
  DEFAULT_MAX_MESSAGE_BYTES,
  createChatService,
  formatWhoLines,
  hasControlCharacter,
} from './chat-service.js';
export type { ChatService, ChatServiceOptions } from './chat-service.js';
export { ROOM_UNAVAILABLE_LINE, createSharedChatService } from './shared-chat-service.js';
export type { LocalMember, SharedChatService, SharedChatServiceOptions } from './shared-chat-service.js';
export type { JoinResult, RenameResult, RoomBus, RoomEvent, SayResult, WhisperResult } from './room-bus.js';
export { createMemoryRoomHub } from './memory-room-hub.js';
export type { MemoryRoomHub } from './memory-room-hub.js';
