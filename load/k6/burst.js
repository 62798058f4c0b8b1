/** k6 scenario "burst" of load/scenarios.json: k6 run load/k6/burst.js (see lib.js for the variables). */
import { optionsFor, setup, submit } from './lib.js';

export const options = optionsFor('burst');
export { setup };
export default submit;
