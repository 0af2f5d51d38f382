-- Second factors: authenticator apps (TOTP), recovery codes and passkeys (WebAuthn),
-- and signatures made with a passkey (decisions 0030 and 0031).

CREATE TABLE "totp_factor" (
    "user_id" UUID NOT NULL,
    "secret_sealed" TEXT NOT NULL,
    "last_time_step" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "totp_factor_pkey" PRIMARY KEY ("user_id")
);

CREATE TABLE "recovery_code" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "code_hash" TEXT NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "recovery_code_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "passkey" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "credential_id" TEXT NOT NULL,
    "public_key" BYTEA NOT NULL,
    "counter" BIGINT NOT NULL DEFAULT 0,
    "transports" TEXT[],
    "name" TEXT NOT NULL,
    "backed_up" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "passkey_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "recovery_code_code_hash_key" ON "recovery_code"("code_hash");
CREATE INDEX "recovery_code_user_id_idx" ON "recovery_code"("user_id");
CREATE UNIQUE INDEX "passkey_credential_id_key" ON "passkey"("credential_id");
CREATE INDEX "passkey_user_id_idx" ON "passkey"("user_id");

ALTER TABLE "totp_factor" ADD CONSTRAINT "totp_factor_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "recovery_code" ADD CONSTRAINT "recovery_code_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "passkey" ADD CONSTRAINT "passkey_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- How an approval was signed, and the passkey evidence when it was a passkey.
ALTER TABLE "approval" ADD COLUMN "signature_method" TEXT NOT NULL DEFAULT 'password';
ALTER TABLE "approval" ADD COLUMN "passkey_credential_id" TEXT;
ALTER TABLE "approval" ADD COLUMN "passkey_assertion" JSONB;

-- Hand-written from here on.
ALTER TABLE "approval" ADD CONSTRAINT "approval_signature_method_valid"
  CHECK ("signature_method" IN ('password', 'passkey')
         AND (("signature_method" = 'passkey') = ("passkey_credential_id" IS NOT NULL AND "passkey_assertion" IS NOT NULL)));
