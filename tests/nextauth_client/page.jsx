// A page on the real next-auth/react (v4) client, bundled by esbuild for the browser tests:
// useSession() under a SessionProvider whose basePath is the Flask app's Auth.js API, and
// the client functions on window for the test to call as an app's code would.
import React from "react";
import { createRoot } from "react-dom/client";
import {
  SessionProvider,
  getCsrfToken,
  getProviders,
  getSession,
  signIn,
  signOut,
  useSession,
} from "next-auth/react";

function Status() {
  const { data, status, update } = useSession();
  window.nextAuthUpdate = update;
  return (
    <div>
      <p id="status">{status}</p>
      <pre id="session">{JSON.stringify(data ?? null)}</pre>
    </div>
  );
}

window.nextAuth = { getCsrfToken, getProviders, getSession, signIn, signOut };
createRoot(document.getElementById("root")).render(
  <SessionProvider basePath={window.NEXTAUTH_BASE_PATH} refetchOnWindowFocus={false}>
    <Status />
  </SessionProvider>,
);
