// Which screen the app shows: the inbox (`/`, `/c/{id}`) or a settings section (`/settings/{section}`).
// The inbox keeps its own history entries for conversations; this only follows the part of the
// path that switches between the two.
import { parseSettingsPath, type SettingsSection } from '../lib/adminSections';

export const nav = $state<{ settings: SettingsSection | 'index' | null }>({
  settings: parseSettingsPath(location.pathname),
});

export function navigate(path: string): void {
  history.pushState(null, '', path);
  nav.settings = parseSettingsPath(path);
}

window.addEventListener('popstate', () => {
  nav.settings = parseSettingsPath(location.pathname);
});
