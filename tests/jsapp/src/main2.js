import { discount } from "./extra.js";
import { addPen, payBigCart } from "./main.js";

export { addPen, payBigCart, discount };
