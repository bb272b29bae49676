// Which reactions each channel delivers, so the agent is only offered what the customer will see:
// WhatsApp takes any emoji; Instagram's Send API has one reaction ("love", shown as ❤️); Messenger's
// Send API has none (docs/api.md: `unsupported_by_channel`).
const WHATSAPP = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

export function reactionChoices(channelKind: string): string[] {
  switch (channelKind) {
    case 'whatsapp_cloud':
    case 'whatsapp_business_app':
      return WHATSAPP;
    case 'instagram':
      return ['❤️'];
    default:
      return [];
  }
}
