// People: accounts, sign-in (password, second factors, passkeys, single sign-on), throttling, API tokens and notifications.
// What the rest of the code may use from this folder; its other modules are internal.
// Loading the folder registers who is told of what (notifications follow the audit trail).
import "./notification-rules.js";
export { authenticateApiToken, createApiToken, listApiTokens, newTokenSchema, ownApiToken, revokeApiToken, tokenIdSchema, tokenScopes } from "./api-tokens.js";
export type { TokenScope } from "./api-tokens.js";
export { checkPassword, recordForbidden, recordSessionExpired, recordSignIn, recordSignOut } from "./auth.js";
export type { SignInMethod } from "./auth.js";
export { EMAIL_JOB, alwaysEmailedKinds, emailPreferencesSchema, markAllRead, notificationKinds, notificationSubject, notificationsScreen, notify, saveEmailPreferences, unreadCount } from "./notifications.js";
export type { NotificationKind } from "./notifications.js";
export { finishSso, startSso } from "./oidc.js";
export type { PendingSso } from "./oidc.js";
export { CHALLENGE_MS, newNonce, registerPasskey, registrationOptions, relyingParty, removePasskey, renamePasskey, signInOptions, signInWithPasskey, signingOptions, verifyPasskeySignature, verifySigningAssertion } from "./passkeys.js";
export type { RelyingParty } from "./passkeys.js";
export { activeUser, checkSignInCode, confirmTotpSetup, factorStatus, factorSummaries, hasPasskey, hasSecondFactor, mustHaveSecondFactor, openSealedSecret, removeTotp, renewRecoveryCodes, resetSecondFactors, resumeTotpSetup, sealSecret, startTotpSetup } from "./second-factors.js";
export { pruneSecurityLog, recordSecondFactorRefusal } from "./security-log.js";
export { checkPasswordThrottled, pruneThrottle, signaturePassword, waitText } from "./throttle.js";
export { accessSummaries, createUser, hashPassword, listBoardMembers, listUsers, newUserSchema, passwordMatches, passwordSchema, resetPassword, roleLabels, roles, setUserActive, updateUser, userChangesSchema } from "./users.js";
