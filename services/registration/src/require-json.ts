import type { RequestHandler } from 'express';
import { invalidRequest } from '@mcp-auth/core';

/** RFC 7591 §3.1 / RFC 7592 §2.2: the request body is a JSON document sent as application/json. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) throw invalidRequest('Content-Type must be application/json');
  next();
};
