// Every kind of job the queue runs, and the module that does it.
import type { JobHandlers } from "./queue.js";
import { SCHEDULE_JOB, runScheduleJob } from "../services/schedules.js";

export const jobHandlers: JobHandlers = {
  [SCHEDULE_JOB]: runScheduleJob,
};
