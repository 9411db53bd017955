// A small TypeScript service module: the @sentry/node source map test builds and breaks it.
interface Order {
  id: string;
  lines: { sku: string; quantity: number }[];
}

export function validateOrder(order: Order): number {
  const count: number = order.lines.reduce((sum, line) => sum + line.quantity, 0);
  if (count === 0) {
    throw new Error(`order ${order.id} has no items`);
  }
  return count;
}
