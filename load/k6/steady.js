/** k6 scenario "steady" of load/scenarios.json: k6 run load/k6/steady.js (see lib.js for the variables). */
import { optionsFor, setup, submit } from './lib.js';

export const options = optionsFor('steady');
export { setup };
export default submit;
