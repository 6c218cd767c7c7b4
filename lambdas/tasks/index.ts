import { cleanupStrayInstances } from './cleanup-stray-instances';
import { notifyPartnerOfOrder } from './notify-partner-of-order';
import { refreshExchangeRates } from './refresh-exchange-rates';
import { releaseExpiredInventoryHolds } from './release-expired-inventory-holds';
import { sendDeliveryReminders } from './send-delivery-reminders';

/** Every task of the app. The worker, the CLI and the stack all read this list. */
export const tasks = [cleanupStrayInstances, sendDeliveryReminders, refreshExchangeRates, releaseExpiredInventoryHolds, notifyPartnerOfOrder] as const;

export type AppTask = (typeof tasks)[number];
export { cleanupStrayInstances, notifyPartnerOfOrder, refreshExchangeRates, releaseExpiredInventoryHolds, sendDeliveryReminders };
