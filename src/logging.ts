// Structured logs (JSON lines, pino). Every request is logged by pino-http with the
// same request id the response carries (X-Request-Id) and the audit events record,
// so one id leads from a log line to the events the request wrote.
import { pino, type Logger } from "pino";
import { pinoHttp } from "pino-http";
import type { Request } from "express";

export function createLogger(options: { level?: string } = {}): Logger {
  return pino({ level: options.level ?? process.env.LOG_LEVEL ?? "info", base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}

export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    // assignRequestId runs first: one id for the header, the logs and the audit trail.
    genReqId: (req) => (req as Request).id,
    customProps: (req) => ({ reqId: String((req as Request).id), userId: (req as Request).user?.id ?? null }),
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
