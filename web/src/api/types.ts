// Names for the generated API types the UI uses (src/api/schema.d.ts is generated from the server's
// OpenAPI description by `npm run gen:api`; never edit it by hand).
import type { Schemas } from './client';

export type Me = Schemas['MeView'];
export type Conversation = Schemas['ConversationView'];
export type ConversationPage = Schemas['ConversationPage'];
export type Message = Schemas['MessageView'];
export type MessagePage = Schemas['MessagePage'];
export type Attachment = Schemas['AttachmentView'];
export type Contact = Schemas['ContactView'];
export type QuickReply = Schemas['QuickReplyView'];
export type Channel = Schemas['ChannelView'];
export type Template = Schemas['TemplateView'];
export type UserView = Schemas['UserView'];
export type Label = Schemas['LabelView'];
export type Note = Schemas['NoteView'];
export type Mention = Schemas['MentionView'];
export type MentionPage = Schemas['MentionPage'];
export type UserRef = Schemas['UserRef'];
export type Scheduled = Schemas['ScheduledView'];
export type ScheduledContent = Schemas['ScheduledContent'];

export type ChannelKind = 'whatsapp_cloud' | 'whatsapp_business_app' | 'messenger' | 'instagram';

/** A realtime event from `GET /api/v1/events` (docs/api.md, "Realtime"). */
export type RealtimeEvent =
  | { type: 'hello' }
  | { type: 'resync' }
  | { type: 'conversation.created' | 'conversation.updated'; data: Conversation; seq: number }
  | { type: 'message.created' | 'message.updated'; data: Message; seq: number }
  | {
      type: 'conversation.assigned';
      data: { conversation: Conversation; assignee: UserRef | null; previous: UserRef | null; by: UserRef | null; auto: boolean };
      seq: number;
    }
  | { type: 'conversation.removed'; data: { id: string }; seq: number }
  | { type: 'label.created' | 'label.updated'; data: Label; seq: number }
  | { type: 'label.deleted'; data: { id: string }; seq: number }
  | { type: 'note.created' | 'note.updated'; data: Note; seq: number }
  | { type: 'note.deleted'; data: { id: string; conversation_id: string }; seq: number }
  | { type: 'mention.created'; data: Mention; seq: number }
  | { type: 'mention.read'; data: { id: string | null }; seq: number }
  | { type: 'scheduled.created' | 'scheduled.updated' | 'scheduled.failed'; data: Scheduled; seq: number };
