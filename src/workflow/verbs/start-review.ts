// Start review: a reviewer takes a submitted revision; its content stays locked.
import { transitions } from "../transitions.js";
import { stateMove } from "./verb.js";

export const startReview = stateMove(transitions.start_review, "UNDER_REVIEW");
