/** k6 scenario "baseline" of load/scenarios.json: k6 run load/k6/baseline.js (see lib.js for the variables). */
import { optionsFor, setup, submit } from './lib.js';

export const options = optionsFor('baseline');
export { setup };
export default submit;
