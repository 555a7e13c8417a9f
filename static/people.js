// The people panel, for admins: list accounts, add one, change a role, disable or enable.
import { createUser, listUsers, updateUser } from "./api.js";
import { byId, closeButtons, make } from "./dom.js";
import { formFailureMessage, ROLES } from "./session.js";

const el = {
  dialog: byId("people-dialog"),
  body: byId("people-body"),
  message: byId("people-message"),
  form: byId("person-form"),
  username: byId("person-username"),
  name: byId("person-name"),
  role: byId("person-role"),
  password: byId("person-password"),
  formMessage: byId("person-message"),
};

const FIELD_NAMES = { username: "Username", name: "Name", role: "Role", password: "Initial password" };

let me = null;
let ownAccountChanged = () => {};

// `onOwnAccountChanged()` is called after an admin changes their own account here.
export function setUpPeople(onOwnAccountChanged) {
  ownAccountChanged = onOwnAccountChanged;
  closeButtons(el.dialog);
  el.form.addEventListener("submit", addPerson);
  el.body.addEventListener("change", onRoleChange);
  el.body.addEventListener("click", onDisableToggle);
}

export function closePeople() {
  el.dialog.close();
}

export function openPeople(account) {
  me = account;
  el.message.textContent = "";
  el.formMessage.textContent = "";
  el.dialog.showModal();
  loadPeople();
}

async function loadPeople() {
  const result = await listUsers();
  if (result.status === 401) return;
  if (!result.ok) {
    el.message.textContent = formFailureMessage(result);
    return;
  }
  el.body.replaceChildren(...result.data.map(personRow));
}

function personRow(user) {
  const row = make("tr", user.disabled ? "disabled" : "");
  row.dataset.id = user.id;
  row.dataset.username = user.username;
  const role = make("select", "person-role");
  role.setAttribute("aria-label", `Role of ${user.username}`);
  for (const name of ROLES) {
    const option = make("option", null, name);
    option.value = name;
    option.selected = name === user.role;
    role.append(option);
  }
  const toggle = make("button", "toggle-disabled", user.disabled ? "Enable" : "Disable");
  toggle.type = "button";
  toggle.dataset.disabled = String(user.disabled);
  toggle.setAttribute("aria-label", `${user.disabled ? "Enable" : "Disable"} ${user.username}`);
  const cells = [user.username, user.name, role, user.disabled ? "Disabled" : "Active", toggle];
  row.append(...cells.map((content) => {
    const cell = make("td");
    cell.append(content);
    return cell;
  }));
  return row;
}

async function changePerson(row, changes, done) {
  const result = await updateUser(row.dataset.id, changes);
  if (result.status === 401) return;
  el.message.textContent = result.ok ? done(result.data) : formFailureMessage(result, FIELD_NAMES);
  await loadPeople();
  if (result.ok && Number(row.dataset.id) === me.id) ownAccountChanged();
}

function onRoleChange(event) {
  const select = event.target.closest("select.person-role");
  if (!select) return;
  changePerson(select.closest("tr"), { role: select.value }, (user) => `${user.username} is now ${user.role}.`);
}

function onDisableToggle(event) {
  const button = event.target.closest("button.toggle-disabled");
  if (!button) return;
  button.disabled = true;
  const disabled = button.dataset.disabled !== "true";
  changePerson(button.closest("tr"), { disabled }, (user) =>
    user.disabled ? `${user.username} is disabled and signed out everywhere.` : `${user.username} can sign in again.`);
}

async function addPerson(event) {
  event.preventDefault();
  const result = await createUser({
    username: el.username.value.trim(),
    name: el.name.value.trim(),
    role: el.role.value,
    password: el.password.value,
  });
  if (result.status === 401) return;
  if (!result.ok) {
    el.formMessage.textContent = formFailureMessage(result, FIELD_NAMES);
    return;
  }
  for (const input of [el.username, el.name, el.password]) input.value = "";
  el.formMessage.textContent = `${result.data.username} was added as ${result.data.role}.`;
  await loadPeople();
}
