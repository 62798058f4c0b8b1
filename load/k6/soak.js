/** k6 scenario "soak" of load/scenarios.json: k6 run load/k6/soak.js (see lib.js for the variables). */
import { optionsFor, setup, submit } from './lib.js';

export const options = optionsFor('soak');
export { setup };
export default submit;
