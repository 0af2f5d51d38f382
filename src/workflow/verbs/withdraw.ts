// Withdraw from review: the author takes a submission back to draft before a reviewer starts.
import { transitions } from "../transitions.js";
import { stateMove } from "./verb.js";

export const withdraw = stateMove(transitions.withdraw, "DRAFT");
