import type { GeneralSettings } from '../company/types';
import { fromEnv } from '../util/env';

/** BlueTrace's General tab as connection config properties. */
export interface GeneralSettingsConfig {
  defaultTermsId?: string;
  incomeAccountId?: string;
  expenseAccountId?: string;
  assetAccountId?: string;
  invoiceCreation?: boolean;
}

export function generalSettings(config: GeneralSettingsConfig): GeneralSettings {
  const opt = (v: unknown) => fromEnv(v) || undefined;
  return {
    defaultTermsId: opt(config.defaultTermsId),
    incomeAccountId: opt(config.incomeAccountId),
    expenseAccountId: opt(config.expenseAccountId),
    assetAccountId: opt(config.assetAccountId),
    invoiceCreation: config.invoiceCreation !== false,
  };
}
