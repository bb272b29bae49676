import { describe, expect, it } from 'vitest';
import {
  buildParameters,
  costOf,
  emptyValues,
  fill,
  filterTemplates,
  preview,
  textProblem,
  validate,
  type ParamValues,
  type TemplateLike,
} from '../../src/lib/template';

/** A positional utility template with a text header, a footer and a URL button with a suffix. */
const order: TemplateLike = {
  name: 'order_update',
  language: 'es_MX',
  status: 'APPROVED',
  category: 'UTILITY',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Pedido {{1}}' },
    { type: 'BODY', text: 'Hola {{1}}, tu pedido {{2}} llega el {{3}}. ¡Gracias, {{1}}!' },
    { type: 'FOOTER', text: 'Escala' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Ok' },
        { type: 'URL', text: 'Ver pedido', url: 'https://shop.example/o/{{1}}' },
      ],
    },
  ],
  parameters: {
    format: 'POSITIONAL',
    header: { type: 'text', param: { name: '1', example: 'A-100' } },
    body: [
      { name: '1', example: 'Ana' },
      { name: '2', example: 'A-100' },
      { name: '3', example: 'lunes' },
    ],
    buttons: [{ index: 1, kind: 'url_suffix', label: 'Ver pedido', example: 'A-100' }],
    unsupported: [],
  },
};

/** A named marketing template with an image header and a coupon button. */
const promo: TemplateLike = {
  name: 'promo_named',
  language: 'en_US',
  status: 'APPROVED',
  category: 'MARKETING',
  components: [
    { type: 'HEADER', format: 'IMAGE' },
    { type: 'BODY', text: 'Hi {{first_name}}, use {{code}} today.' },
    { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', text: 'Copy code' }] },
  ],
  parameters: {
    format: 'NAMED',
    header: { type: 'image' },
    body: [{ name: 'first_name' }, { name: 'code' }],
    buttons: [{ index: 0, kind: 'coupon_code', label: 'Copy code' }],
    unsupported: [],
  },
};

function filled(t: TemplateLike, patch: (v: ParamValues) => void): ParamValues {
  const v = emptyValues(t.parameters);
  patch(v);
  return v;
}

const orderFilled = () =>
  filled(order, (v) => {
    v.header = 'A-7';
    v.body = { '1': 'Ana', '2': 'A-7', '3': 'lunes' };
    v.buttons[1] = 'A-7';
  });

describe('fill', () => {
  it('fills known variables, keeps missing ones and stray braces as written', () => {
    expect(fill('Hola {{1}} y {{2}}', (n) => ({ '1': 'Ana' })[n])).toBe('Hola Ana y {{2}}');
    expect(fill('a {{ b', () => 'x')).toBe('a {{ b');
    expect(fill('{{name}}{{name}}', () => 'Zé')).toBe('ZéZé');
  });

  it('does not treat a value as a variable (no re-expansion)', () => {
    expect(fill('{{1}} {{2}}', (n) => (n === '1' ? '{{2}}' : 'two'))).toBe('{{2}} two');
  });
});

describe('preview', () => {
  it('shows positional parameters filled in, repeated variables included', () => {
    const p = preview(order, orderFilled());
    expect(p.header).toEqual({ kind: 'text', text: 'Pedido A-7' });
    expect(p.body).toBe('Hola Ana, tu pedido A-7 llega el lunes. ¡Gracias, Ana!');
    expect(p.footer).toBe('Escala');
    expect(p.buttons).toEqual([
      { type: 'QUICK_REPLY', text: 'Ok', url: null },
      { type: 'URL', text: 'Ver pedido', url: 'https://shop.example/o/A-7' },
    ]);
  });

  it('leaves empty parameters visible as {{n}}', () => {
    const p = preview(order, emptyValues(order.parameters));
    expect(p.header).toEqual({ kind: 'text', text: 'Pedido {{1}}' });
    expect(p.body).toBe('Hola {{1}}, tu pedido {{2}} llega el {{3}}. ¡Gracias, {{1}}!');
    expect(p.buttons[1]?.url).toBe('https://shop.example/o/{{1}}');
  });

  it('shows named parameters filled in and a media header by its kind and file', () => {
    const v = filled(promo, (v) => {
      v.body = { first_name: 'Ana', code: '' };
      v.media = { link: '', uploadId: 'u1', filename: 'promo.jpg' };
    });
    const p = preview(promo, v);
    expect(p.header).toEqual({ kind: 'media', format: 'image', filename: 'promo.jpg' });
    expect(p.body).toBe('Hi Ana, use {{code}} today.');
    expect(p.footer).toBeNull();
  });

  it('keeps markup as plain text', () => {
    const v = orderFilled();
    v.body['1'] = '<img src=x onerror=alert(1)>';
    expect(preview(order, v).body).toContain('<img src=x onerror=alert(1)>');
  });
});

describe('buildParameters', () => {
  it('builds a positional body in order, the header text and URL suffixes', () => {
    expect(buildParameters(order.parameters, orderFilled())).toEqual({
      header: { type: 'text', text: 'A-7' },
      body: ['Ana', 'A-7', 'lunes'],
      buttons: [{ index: 1, text: 'A-7' }],
    });
  });

  it('builds a named body as an object, and an uploaded header as upload_id', () => {
    const v = filled(promo, (v) => {
      v.body = { first_name: 'Ana', code: 'SALE10' };
      v.buttons[0] = 'SALE10';
      v.media = { link: 'https://cdn.example/x.jpg', uploadId: 'up-1', filename: 'x.jpg' };
    });
    expect(buildParameters(promo.parameters, v)).toEqual({
      header: { type: 'image', upload_id: 'up-1' },
      body: { first_name: 'Ana', code: 'SALE10' },
      buttons: [{ index: 0, text: 'SALE10' }],
    });
  });

  it('sends a header link when nothing was uploaded, and a document keeps its file name', () => {
    const doc: TemplateLike = {
      ...promo,
      parameters: { ...promo.parameters, header: { type: 'document' } },
    };
    const v = filled(doc, (v) => (v.media = { link: ' https://cdn.example/a.pdf ', uploadId: null, filename: null }));
    expect(buildParameters(doc.parameters, v).header).toEqual({ type: 'document', link: 'https://cdn.example/a.pdf' });
    v.media = { link: '', uploadId: 'up-2', filename: 'factura.pdf' };
    expect(buildParameters(doc.parameters, v).header).toEqual({
      type: 'document',
      upload_id: 'up-2',
      filename: 'factura.pdf',
    });
  });

  it('sends no header, an empty body and no buttons for a template without variables', () => {
    const plain: TemplateLike = {
      ...order,
      components: [{ type: 'BODY', text: 'Hola' }],
      parameters: { format: 'POSITIONAL', header: null, body: [], buttons: [], unsupported: [] },
    };
    expect(buildParameters(plain.parameters, emptyValues(plain.parameters))).toEqual({ body: [] });
    expect(validate(plain, emptyValues(plain.parameters))).toEqual([]);
  });

  it('leaves an authentication code button to the body code, as the server does', () => {
    const auth: TemplateLike = {
      name: 'otp',
      language: 'es',
      status: 'APPROVED',
      category: 'AUTHENTICATION',
      components: [
        { type: 'BODY', text: '{{1}} es tu código.' },
        { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Copiar', url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}' }] },
      ],
      parameters: {
        format: 'POSITIONAL',
        body: [{ name: '1' }],
        buttons: [{ index: 0, kind: 'otp', label: 'Copiar' }],
        unsupported: [],
      },
    };
    const v = filled(auth, (v) => (v.body['1'] = '123456'));
    expect(buildParameters(auth.parameters, v)).toEqual({ body: ['123456'] });
    expect(validate(auth, v)).toEqual([]);
    expect(preview(auth, v).buttons[0]?.url).toContain('code=otp123456');
  });
});

describe('validate', () => {
  it('accepts a fully filled template', () => {
    expect(validate(order, orderFilled())).toEqual([]);
  });

  it('refuses empty or blank required parameters, each on its own input', () => {
    const v = orderFilled();
    v.header = '';
    v.body['2'] = '   ';
    v.buttons[1] = '';
    expect(validate(order, v)).toEqual([
      { field: 'header', problem: 'required' },
      { field: 'body.2', problem: 'required' },
      { field: 'button.1', problem: 'required' },
    ]);
  });

  it('flags new lines, tabs and more than four spaces in a row (Meta refuses them)', () => {
    const v = orderFilled();
    v.body['1'] = 'Ana\nMaría';
    v.body['2'] = 'A\t7';
    v.body['3'] = 'el     lunes';
    v.header = 'A\r7';
    expect(validate(order, v)).toEqual([
      { field: 'header', problem: 'invalid_chars' },
      { field: 'body.1', problem: 'invalid_chars' },
      { field: 'body.2', problem: 'invalid_chars' },
      { field: 'body.3', problem: 'invalid_chars' },
    ]);
    expect(textProblem('four    spaces ok')).toBeNull();
    expect(textProblem('five     spaces')).toBe('invalid_chars');
  });

  it('refuses a named body with a missing value and a media header without file or link', () => {
    const v = filled(promo, (v) => {
      v.body = { first_name: 'Ana' };
      v.buttons[0] = 'SALE10';
    });
    expect(validate(promo, v)).toEqual([
      { field: 'media', problem: 'required' },
      { field: 'body.code', problem: 'required' },
    ]);
    v.media.link = 'ftp://cdn.example/x.jpg';
    expect(validate(promo, v)[0]).toEqual({ field: 'media', problem: 'invalid_link' });
    v.media.link = 'https://cdn.example/x.jpg';
    v.body.code = 'X';
    expect(validate(promo, v)).toEqual([]);
  });

  it('checks Meta lengths: header 60, body 1024, coupon code 15', () => {
    const v = orderFilled();
    v.header = 'x'.repeat(60);
    expect(validate(order, v)).toEqual([{ field: 'header', problem: 'too_long', max: 60 }]);
    v.header = 'x';
    v.body['3'] = 'y'.repeat(1000);
    expect(validate(order, v)).toEqual([{ field: 'body', problem: 'too_long', max: 1024 }]);
    const p = filled(promo, (p) => {
      p.body = { first_name: 'Ana', code: 'X' };
      p.media.uploadId = 'u';
      p.buttons[0] = 'CODE-1234567890X';
    });
    expect(validate(promo, p)).toEqual([{ field: 'button.0', problem: 'too_long', max: 15 }]);
  });

  it('refuses templates with parts the inbox cannot fill', () => {
    const carousel: TemplateLike = {
      ...order,
      parameters: { ...order.parameters, unsupported: ['CAROUSEL component'] },
    };
    expect(validate(carousel, orderFilled())).toEqual([
      { field: 'template', problem: 'unsupported', parts: ['CAROUSEL component'] },
    ]);
  });
});

describe('filterTemplates', () => {
  const list = [
    { name: 'promo_named', language: 'en_US', status: 'APPROVED' },
    { name: 'order_update', language: 'es_MX', status: 'APPROVED' },
    { name: 'order_update', language: 'en_US', status: 'APPROVED' },
    { name: 'order_draft', language: 'es_MX', status: 'PENDING' },
  ];

  it('lists approved templates only, by name then language', () => {
    expect(filterTemplates(list, '').map((t) => `${t.name}/${t.language}`)).toEqual([
      'order_update/en_US',
      'order_update/es_MX',
      'promo_named/en_US',
    ]);
  });

  it('filters by name, case-insensitively, spaces matching underscores', () => {
    expect(filterTemplates(list, 'Order Up').map((t) => t.language)).toEqual(['en_US', 'es_MX']);
    expect(filterTemplates(list, 'draft')).toEqual([]);
  });
});

describe('costOf', () => {
  it('words the estimate', () => {
    expect(costOf({ kind: 'priced', price: '0.0436', currency: 'USD' })).toEqual({
      kind: 'priced',
      amount: '0.0436',
      currency: 'USD',
    });
    expect(costOf({ kind: 'free' })).toEqual({ kind: 'free' });
    expect(costOf({ kind: 'unknown' })).toEqual({ kind: 'unknown' });
    expect(costOf(undefined)).toEqual({ kind: 'unknown' });
  });
});
