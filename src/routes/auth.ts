import { Router } from "express";
export function authRoutes(_db: unknown) { return Router(); }
