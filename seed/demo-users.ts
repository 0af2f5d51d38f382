// Demo accounts, created only on the embedded default (never with NODE_ENV=production).
// Their password is public (README), so they exist only to try the product.
export const DEMO_PASSWORD = "demo-password-2025";

export const demoUsers = [
  { email: "alice.editor@demo.test", name: "Alice Carter", role: "EDITOR", password: DEMO_PASSWORD },
  { email: "ben.editor@demo.test", name: "Ben Okafor", role: "EDITOR", password: DEMO_PASSWORD },
  { email: "priya.reviewer@demo.test", name: "Dr. Priya Patel", role: "REVIEWER", credentials: "MD, Neurology", password: DEMO_PASSWORD },
  { email: "minh.reviewer@demo.test", name: "Dr. Minh Nguyen", role: "REVIEWER", credentials: "PharmD, Clinical Pharmacology", password: DEMO_PASSWORD },
  { email: "sam.admin@demo.test", name: "Sam Rivera", role: "ADMIN", password: DEMO_PASSWORD },
] as const;
