import { Router } from "express";
export function editorRoutes(_db: unknown) { return Router(); }
