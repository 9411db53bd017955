// A small shop front end: the application the source map tests build and break.
export function addItem(cart, item) {
  if (!item.price) {
    throw new TypeError(`item ${item.name} has no price`);
  }
  cart.items.push(item);
  return cart;
}
