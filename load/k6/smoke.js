/** k6 scenario "smoke" of load/scenarios.json: k6 run load/k6/smoke.js (see lib.js for the variables). */
import { optionsFor, setup, submit } from './lib.js';

export const options = optionsFor('smoke');
export { setup };
export default submit;
