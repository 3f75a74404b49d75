for (const pre of document.querySelectorAll("pre.cmd")) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy";
  button.textContent = "Copy";
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(pre.querySelector("code").textContent).then(
      () => { button.textContent = "Copied"; },
      () => { button.textContent = "Select the command to copy it"; });
  });
  pre.after(button);
}
