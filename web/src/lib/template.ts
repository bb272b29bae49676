// The template picker's pure logic: the live preview with the parameters filled in, the `parameters`
// object a template send takes (crates/domain/src/template/parameters.rs), and the checks Meta would
// make on it (crates/domain/src/template.rs), so a seller sees a mistake before anything is sent.
// The server checks again; this only spares a refused (sometimes paid) send.

// ---- The server's template view (TemplateView), as far as the picker reads it -------------------

export interface ParamInfo {
  name: string;
  example?: string | null;
}

/** What the header needs: a text variable, or media of one kind. */
export interface HeaderSpec {
  type: 'text' | 'image' | 'video' | 'document' | 'location' | string;
  param?: ParamInfo | null;
}

export interface ButtonSpec {
  /** The button's position among all the template's buttons, from 0. */
  index: number;
  /** `url_suffix`, `otp` or `coupon_code`. */
  kind: string;
  label?: string | null;
  example?: string | null;
}

export interface ParameterSpec {
  /** `POSITIONAL` (`{{1}}`) or `NAMED` (`{{first_name}}`). */
  format: string;
  header?: HeaderSpec | null;
  body: ParamInfo[];
  buttons: ButtonSpec[];
  /** Parts the inbox cannot fill (carousels, catalogues…): the template cannot be sent. */
  unsupported: string[];
}

export interface TemplateButton {
  type: string;
  text?: string | null;
  url?: string | null;
  phone_number?: string | null;
}

export interface TemplateComponent {
  type: string;
  format?: string | null;
  text?: string | null;
  buttons?: TemplateButton[] | null;
}

export interface TemplateLike {
  name: string;
  language: string;
  status: string;
  category: string;
  components?: TemplateComponent[] | null;
  parameters: ParameterSpec;
  sendable?: boolean;
}

// ---- What a send takes (TemplateParameters) -----------------------------------------------------

export type MediaKind = 'image' | 'video' | 'document';

export type HeaderParameter =
  | { type: 'text'; text: string }
  | { type: MediaKind; link: string; filename?: string }
  | { type: MediaKind; upload_id: string; filename?: string };

export interface TemplateParameters {
  header?: HeaderParameter;
  body: string[] | Record<string, string>;
  buttons?: { index: number; text: string }[];
}

// ---- The picker's form ------------------------------------------------------------------------

/** Where the header file comes from: a public link, or a file uploaded to the inbox. */
export interface MediaValue {
  link: string;
  uploadId: string | null;
  /** The uploaded file's name (shown in the preview; a document header sends it to the customer). */
  filename: string | null;
}

export interface ParamValues {
  /** The header's text variable. */
  header: string;
  media: MediaValue;
  /** Body values by variable name (`"1"`, `"2"`… or `"first_name"`). */
  body: Record<string, string>;
  /** Button values by button index. */
  buttons: Record<number, string>;
}

export function emptyValues(spec: ParameterSpec): ParamValues {
  const body: Record<string, string> = {};
  for (const p of spec.body) body[p.name] = '';
  const buttons: Record<number, string> = {};
  for (const b of spec.buttons) buttons[b.index] = '';
  return { header: '', media: { link: '', uploadId: null, filename: null }, body, buttons };
}

export function isNamed(spec: ParameterSpec): boolean {
  return spec.format.toUpperCase() === 'NAMED';
}

export function mediaKind(spec: ParameterSpec): MediaKind | null {
  const t = spec.header?.type;
  return t === 'image' || t === 'video' || t === 'document' ? t : null;
}

/** The text variable of the header, if it has one. */
export function headerParam(spec: ParameterSpec): ParamInfo | null {
  return spec.header?.type === 'text' ? (spec.header.param ?? null) : null;
}

/**
 * Whether a button needs its own input. An authentication code button (`otp`) takes the body's
 * code when the body has exactly one positional variable, as the server does: the same code must go
 * in both places, so asking for it twice would only invite a mismatch.
 */
export function buttonNeedsInput(spec: ParameterSpec, b: ButtonSpec): boolean {
  return !(b.kind === 'otp' && !isNamed(spec) && spec.body.length === 1);
}

// ---- Preview ------------------------------------------------------------------------------------

/**
 * Fills `text`'s `{{variables}}` from `value` (by name). A variable without a value (or with an
 * empty one) stays as written, so the preview shows what is still missing. Same rules as the
 * server's `fill`: a `{{` without its `}}` is plain text.
 */
export function fill(text: string, value: (name: string) => string | undefined | null): string {
  let out = '';
  let rest = text;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) break;
    const after = rest.slice(open + 2);
    const close = after.indexOf('}}');
    if (close < 0) break;
    const v = value(after.slice(0, close));
    if (v !== undefined && v !== null && v !== '') {
      out += rest.slice(0, open) + v;
      rest = after.slice(close + 2);
    } else {
      out += rest.slice(0, open + 2);
      rest = after;
    }
  }
  return out + rest;
}

export interface PreviewButton {
  type: string;
  text: string;
  /** A URL button's address with its suffix filled in. */
  url: string | null;
}

export interface Preview {
  header: { kind: 'text'; text: string } | { kind: 'media'; format: string; filename: string | null } | null;
  body: string;
  footer: string | null;
  buttons: PreviewButton[];
}

function component(t: TemplateLike, type: string): TemplateComponent | undefined {
  return (t.components ?? []).find((c) => c.type.toUpperCase() === type);
}

/** All the template's buttons in Meta's order: a button's position here is its `index`. */
export function templateButtons(t: TemplateLike): TemplateButton[] {
  return (t.components ?? []).filter((c) => c.type.toUpperCase() === 'BUTTONS').flatMap((c) => c.buttons ?? []);
}

function headerText(t: TemplateLike, values: ParamValues): string {
  const param = headerParam(t.parameters);
  const text = component(t, 'HEADER')?.text ?? '';
  return fill(text, (name) => (param && name === param.name ? values.header : undefined));
}

function bodyText(t: TemplateLike, values: ParamValues): string {
  return fill(component(t, 'BODY')?.text ?? '', (name) => values.body[name]);
}

/** The message as the customer will read it, with what is filled in so far. Plain text only. */
export function preview(t: TemplateLike, values: ParamValues): Preview {
  const h = component(t, 'HEADER');
  let header: Preview['header'] = null;
  if (h) {
    const format = (h.format ?? 'TEXT').toUpperCase();
    header =
      format === 'TEXT'
        ? { kind: 'text', text: headerText(t, values) }
        : { kind: 'media', format: format.toLowerCase(), filename: values.media.filename };
  }
  const otpCode = t.parameters.body.length === 1 ? values.body[t.parameters.body[0]?.name ?? ''] : undefined;
  const buttons = templateButtons(t).map((b, index): PreviewButton => {
    const spec = t.parameters.buttons.find((s) => s.index === index);
    let url = b.url ?? null;
    if (url && spec && (spec.kind === 'url_suffix' || spec.kind === 'otp')) {
      const own = values.buttons[index];
      const suffix = own || (spec.kind === 'otp' ? otpCode : undefined);
      url = fill(url, () => suffix);
    }
    return { type: b.type.toUpperCase(), text: b.text ?? '', url };
  });
  return {
    header,
    body: bodyText(t, values),
    footer: component(t, 'FOOTER')?.text ?? null,
    buttons,
  };
}

// ---- Building the request -----------------------------------------------------------------------

/** The `parameters` of the send request for these form values (check them with `validate` first). */
export function buildParameters(spec: ParameterSpec, values: ParamValues): TemplateParameters {
  const out: TemplateParameters = { body: [] };
  const hp = headerParam(spec);
  const media = mediaKind(spec);
  if (hp) {
    out.header = { type: 'text', text: values.header };
  } else if (media) {
    const filename = media === 'document' && values.media.filename ? { filename: values.media.filename } : {};
    const link = values.media.link.trim();
    out.header = values.media.uploadId
      ? { type: media, upload_id: values.media.uploadId, ...filename }
      : { type: media, link, ...filename };
  }
  if (isNamed(spec)) {
    const body: Record<string, string> = {};
    for (const p of spec.body) body[p.name] = values.body[p.name] ?? '';
    out.body = body;
  } else {
    out.body = spec.body.map((p) => values.body[p.name] ?? '');
  }
  const buttons = spec.buttons
    .filter((b) => buttonNeedsInput(spec, b))
    .map((b) => ({ index: b.index, text: values.buttons[b.index] ?? '' }));
  if (buttons.length) out.buttons = buttons;
  return out;
}

// ---- Validation ---------------------------------------------------------------------------------

/** Meta's limits once filled in (error 132005) and on coupon codes. */
export const HEADER_TEXT_MAX = 60;
export const BODY_TEXT_MAX = 1024;
export const COUPON_CODE_MAX = 15;

export type Problem =
  /** Nothing given (or only spaces). */
  | 'required'
  /** A new line, a tab or more than four consecutive spaces: Meta refuses those in text parameters. */
  | 'invalid_chars'
  /** Over Meta's length limit (`max`). */
  | 'too_long'
  /** A header link that is not an http(s) address. */
  | 'invalid_link'
  /** The template has parts the inbox cannot fill (`parts`). */
  | 'unsupported';

/** Which input a problem belongs to: `header`, `media`, `body.NAME`, `button.INDEX`, or the whole
 * `body` / `template`. */
export type FieldId = string;

export interface Issue {
  field: FieldId;
  problem: Problem;
  max?: number;
  parts?: string[];
}

export const fieldOf = {
  header: 'header',
  media: 'media',
  body: (name: string) => `body.${name}`,
  /** The body as a whole (its length once filled in). */
  wholeBody: 'body',
  button: (index: number) => `button.${index}`,
  template: 'template',
} as const;

/** A text parameter's problem, as Meta checks it: empty, or with new lines, tabs or 5+ spaces in a row. */
export function textProblem(value: string): Problem | null {
  if (!value.trim()) return 'required';
  if (/[\n\r\t]/.test(value) || value.includes('     ')) return 'invalid_chars';
  return null;
}

const chars = (s: string) => [...s].length;

/** Everything that would make the server (or Meta) refuse this send; empty when it can go. */
export function validate(t: TemplateLike, values: ParamValues): Issue[] {
  const spec = t.parameters;
  const issues: Issue[] = [];
  const unsupported = [...spec.unsupported];
  if (spec.header?.type === 'location') unsupported.push('LOCATION header');
  if (unsupported.length) issues.push({ field: fieldOf.template, problem: 'unsupported', parts: unsupported });

  const hp = headerParam(spec);
  if (hp) {
    const p = textProblem(values.header);
    if (p) issues.push({ field: fieldOf.header, problem: p });
    else if (chars(headerText(t, values)) > HEADER_TEXT_MAX)
      issues.push({ field: fieldOf.header, problem: 'too_long', max: HEADER_TEXT_MAX });
  }
  if (mediaKind(spec) && !values.media.uploadId) {
    const link = values.media.link.trim();
    if (!link) issues.push({ field: fieldOf.media, problem: 'required' });
    else if (!/^https?:\/\/[^\s/]+/i.test(link)) issues.push({ field: fieldOf.media, problem: 'invalid_link' });
  }

  let bodyOk = true;
  for (const param of spec.body) {
    const p = textProblem(values.body[param.name] ?? '');
    if (p) {
      bodyOk = false;
      issues.push({ field: fieldOf.body(param.name), problem: p });
    }
  }
  if (bodyOk && spec.body.length && chars(bodyText(t, values)) > BODY_TEXT_MAX)
    issues.push({ field: fieldOf.wholeBody, problem: 'too_long', max: BODY_TEXT_MAX });

  for (const b of spec.buttons) {
    if (!buttonNeedsInput(spec, b)) continue;
    const v = values.buttons[b.index] ?? '';
    const p = textProblem(v);
    if (p) issues.push({ field: fieldOf.button(b.index), problem: p });
    else if (b.kind === 'coupon_code' && chars(v) > COUPON_CODE_MAX)
      issues.push({ field: fieldOf.button(b.index), problem: 'too_long', max: COUPON_CODE_MAX });
  }
  return issues;
}

/** The first issue of one input, for its message and `aria-invalid`. */
export function issueFor(issues: Issue[], field: FieldId): Issue | undefined {
  return issues.find((i) => i.field === field);
}

// ---- The list -----------------------------------------------------------------------------------

/** The approved templates whose name matches `query` (spaces match underscores), by name then language. */
export function filterTemplates<T extends Pick<TemplateLike, 'name' | 'language' | 'status'>>(
  list: readonly T[],
  query: string,
): T[] {
  const q = query.trim().toLowerCase().replace(/\s+/g, '_');
  return list
    .filter((t) => t.status.toUpperCase() === 'APPROVED')
    .filter((t) => !q || t.name.toLowerCase().includes(q))
    .sort((a, b) => a.name.localeCompare(b.name) || a.language.localeCompare(b.language));
}

/** A stable key for a template: the same name exists once per language. */
export function templateKey(t: Pick<TemplateLike, 'name' | 'language'>): string {
  return `${t.name}\u0000${t.language}`;
}

// ---- Cost ---------------------------------------------------------------------------------------

export type Cost = { kind: 'priced'; amount: string; currency: string } | { kind: 'free' } | { kind: 'unknown' };

/** The estimate as the picker words it; no estimate (no conversation yet) or an unknown kind is unknown. */
export function costOf(estimate: { kind: string; price?: string; currency?: string } | null | undefined): Cost {
  if (estimate?.kind === 'priced' && estimate.price && estimate.currency)
    return { kind: 'priced', amount: estimate.price, currency: estimate.currency };
  if (estimate?.kind === 'free') return { kind: 'free' };
  return { kind: 'unknown' };
}
