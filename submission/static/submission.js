// submission.js: tells a supporter at once that a chosen file is too large,
// instead of after minutes of uploading it. The server checks everything
// again; the form works the same without this script.
(function () {
	"use strict";
	var input = document.querySelector("input[type=file][data-max-photo]");
	if (!input) return;
	var note = document.getElementById(input.dataset.noteId);
	input.addEventListener("change", function () {
		var f = input.files && input.files[0];
		var msg = "";
		if (f) {
			var video = /^video\//.test(f.type);
			var limit = Number(video ? input.dataset.maxVideo : input.dataset.maxPhoto);
			if (f.size > limit) msg = input.dataset.tooLarge;
		}
		input.setCustomValidity(msg);
		if (note) {
			note.textContent = msg;
			note.hidden = msg === "";
		}
	});
})();
