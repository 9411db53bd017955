import { total } from "./prices.js";

export function checkout(cart) {
  const sum = total(cart);
  if (sum > 100) {
    throw new RangeError("cart total exceeds the limit");
  }
  return sum;
}
