import { addItem } from "./cart.js";
import { checkout } from "./checkout.js";

const cart = { items: [{ name: "book", price: 60, quantity: 2 }] };

// The page's buttons call these; each error is thrown, not caught, so the SDK reports it.
export function addPen() {
  addItem(cart, { name: "pen" });
}

export function payBigCart() {
  checkout(cart);
}
