// Loaded before Decap CMS: sitegen starts the CMS itself (admin-start.js), with the configuration it
// generated (config.json) and the site's regions as the place picker's choices (wilayah.json).
window.CMS_MANUAL_INIT = true;
