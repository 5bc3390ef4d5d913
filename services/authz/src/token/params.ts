import { z } from 'zod';

/** A required form parameter; the message reads "code: is required" through parseInput. */
export const required = () => z.string({ error: 'is required' }).min(1, 'is required');
