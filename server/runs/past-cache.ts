/** How many past (not live) runs the server keeps in memory: their states, stored analysis and concept statistics each. */
export const PAST_CACHE = 16;
