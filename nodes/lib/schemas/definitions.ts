/**
 * JSON Schemas of every inbound message. Records arrive from BlueTrace and BluBilling as `msg.payload`;
 * ids may be strings or numbers (apps differ), money is a number, dates are ISO 8601.
 */
import type { SchemaObject } from 'ajv';

const id = { type: ['string', 'integer'], minLength: 1, maxLength: 100 } as const;
const text = (max: number) => ({ type: 'string', maxLength: max }) as const;
const optionalText = (max: number) => ({ type: ['string', 'null'], maxLength: max }) as const;
const money = { type: 'number', minimum: -1e12, maximum: 1e12 } as const;
const date = { type: 'string', format: 'date' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const email = { type: ['string', 'null'], maxLength: 254 } as const;
const address = {
  type: 'object',
  properties: {
    line1: optionalText(500), line2: optionalText(500), city: optionalText(255),
    region: optionalText(255), state: optionalText(255), postalCode: optionalText(30), country: optionalText(255),
  },
  additionalProperties: false,
} as const;

export const SCHEMAS: Record<string, { title: string; schema: SchemaObject }> = {
  'bluetrace-item': {
    title: 'BlueTrace item',
    schema: {
      type: 'object',
      required: ['id', 'name'],
      properties: {
        id, name: { ...text(500), minLength: 1 }, sku: optionalText(100), description: optionalText(4000),
        price: money, unitOfMeasure: optionalText(100), active: { type: 'boolean' },
      },
    },
  },
  'bluetrace-customer': {
    title: 'BlueTrace customer',
    schema: {
      type: 'object',
      required: ['id', 'name'],
      properties: {
        id, name: { ...text(500), minLength: 1 }, billingEmail: email, phone: optionalText(30),
        billingAddress: address, active: { type: 'boolean' },
      },
    },
  },
  'bluetrace-packed-order': {
    title: 'BlueTrace packed order',
    schema: {
      type: 'object',
      required: ['id', 'orderNumber', 'customerId', 'packedDate', 'lines'],
      properties: {
        id, orderNumber: { type: ['string', 'integer'], minLength: 1, maxLength: 50 }, customerId: id,
        customerName: optionalText(500), packedDate: date, status: { enum: ['open', 'packed', 'closed'] }, memo: optionalText(4000),
        lines: {
          type: 'array', minItems: 1, maxItems: 1000,
          items: {
            type: 'object',
            required: ['itemId', 'quantity', 'unitPrice'],
            properties: {
              lineId: id, itemId: id, sku: optionalText(100), description: optionalText(4000),
              quantity: { type: 'number', exclusiveMinimum: 0, maximum: 1e9 }, unitPrice: { ...money, minimum: 0 },
            },
          },
        },
      },
    },
  },
  'blubilling-charge': {
    title: 'BluBilling charge',
    schema: {
      type: 'object',
      required: ['id', 'name'],
      properties: { id, name: { ...text(500), minLength: 1 }, priceCode: optionalText(500), plan: optionalText(500), amount: money },
    },
  },
  'blubilling-customer': {
    title: 'BluBilling customer',
    schema: {
      type: 'object',
      required: ['id', 'name', 'createdAt'],
      properties: {
        id, name: { ...text(500), minLength: 1 }, companyName: optionalText(500), email,
        phone: optionalText(30), billingAddress: address, createdAt: dateTime,
      },
    },
  },
  'blubilling-invoice': {
    title: 'BluBilling invoice',
    schema: {
      type: 'object',
      required: ['id', 'invoiceNumber', 'customerId', 'invoiceDate', 'createdAt', 'lines'],
      properties: {
        id, invoiceNumber: { type: ['string', 'integer'], minLength: 1, maxLength: 50 }, customerId: id,
        invoiceDate: date, dueDate: date, createdAt: dateTime, memo: optionalText(4000),
        lines: {
          type: 'array', minItems: 1, maxItems: 1000,
          items: {
            type: 'object',
            required: ['chargeId', 'quantity', 'unitPrice'],
            properties: {
              chargeId: id, description: optionalText(4000),
              quantity: { type: 'number', exclusiveMinimum: 0, maximum: 1e9 }, unitPrice: money,
            },
          },
        },
      },
    },
  },
  'blubilling-payment': {
    title: 'BluBilling payment',
    schema: {
      type: 'object',
      required: ['id', 'customerId', 'invoiceId', 'paymentDate', 'createdAt', 'amount'],
      properties: {
        id, customerId: id, invoiceId: id, paymentDate: date, createdAt: dateTime,
        amount: { ...money, exclusiveMinimum: 0 }, method: optionalText(31), reference: optionalText(20),
      },
    },
  },
  'import-request': {
    title: 'import date-range request',
    schema: {
      type: 'object',
      required: ['from', 'to'],
      properties: {
        from: date, to: date,
        entities: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['items', 'customers', 'invoices'] } },
        dateField: { enum: ['modified', 'txn'] },
        activeOnly: { type: 'boolean' },
      },
      additionalProperties: false,
    },
  },
  'export-request': {
    title: 'export date-range request',
    schema: {
      type: 'object',
      required: ['from', 'to'],
      properties: {
        from: date, to: date,
        entities: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['customers', 'invoices', 'payments'] } },
      },
      additionalProperties: false,
    },
  },
};

export type SchemaName = keyof typeof SCHEMAS;
