// GOV.UK Frontend's components (error summary focus, service navigation, password toggle...).
import { initAll } from "/static/govuk/govuk-frontend.min.js";
import { labelStackedTables } from "/static/js/stacked-tables.js";

initAll();
labelStackedTables();
