// Starts GOV.UK Frontend's components (it only acts when <body> has govuk-frontend-supported).
import { initAll } from "./govuk-frontend.min.js";

initAll();
