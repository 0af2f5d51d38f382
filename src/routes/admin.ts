import { Router } from "express";
export function adminRoutes(_db: unknown) { return Router(); }
