// Starts GOV.UK Frontend's components (it only acts when <body> has govuk-frontend-supported),
// then our own enhancements. Every page works without JavaScript; these only add to it.
import { initAll } from "./govuk-frontend.min.js";
import "./autosave.mjs";

initAll();
