// Who is signed in: the `/api/v1/me` answer, or nothing (the login screen). A 401 from any call
// brings the login back.
import { api, ApiError, setUnauthorizedHandler } from '../api/client';
import type { Me } from '../api/types';

type SessionState =
  | { status: 'loading' }
  | { status: 'signed_out' }
  | { status: 'signed_in'; me: Me }
  | { status: 'error'; message: string };

export const session = $state<{ current: SessionState }>({ current: { status: 'loading' } });

setUnauthorizedHandler(() => {
  session.current = { status: 'signed_out' };
});

export async function loadSession(): Promise<void> {
  try {
    const me = await api.get<Me>('/api/v1/me');
    session.current = { status: 'signed_in', me };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) session.current = { status: 'signed_out' };
    else session.current = { status: 'error', message: e instanceof Error ? e.message : String(e) };
  }
}

export async function login(email: string, password: string): Promise<void> {
  await api.post('/api/v1/auth/login', { email, password });
  await loadSession();
}

export async function logout(): Promise<void> {
  try {
    await api.post('/api/v1/auth/logout');
  } finally {
    session.current = { status: 'signed_out' };
  }
}

export function hasAction(me: Me, action: string): boolean {
  return me.role === 'admin' || (me.permissions.actions as string[]).includes(action);
}
