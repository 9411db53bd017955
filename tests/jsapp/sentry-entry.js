// @sentry/browser as one script for the test pages (`window.Sentry`), like the SDK's CDN bundle.
export * from "@sentry/browser";
